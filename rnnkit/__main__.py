"""Entry point for ``python -m rnnkit`` and the ``rnnkit`` console script."""

import sys

from rnnkit.cli.entry import console_main

if __name__ == "__main__":
    sys.exit(console_main())
