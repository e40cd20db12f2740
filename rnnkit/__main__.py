"""Entry point for ``python -m rnnkit`` and the ``rnnkit`` console script."""

import sys

from rnnkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
