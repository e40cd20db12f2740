"""Entry point for ``python -m rnnkit`` and the ``rnnkit`` console script."""

import sys

if __name__ == "__main__":
    try:
        from rnnkit.cli.entry import console_main
    except KeyboardInterrupt:  # Ctrl-C while the command line itself was loading
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # as rnnkit.cli.errors.interrupted does
        print("\nrnnkit: interrupted; no file was changed", file=sys.stderr)
        sys.exit(130)
    sys.exit(console_main())
