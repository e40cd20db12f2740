"""The command line's errors: a mistake the user can fix, reported as one line, not a traceback."""


class CommandError(ValueError):
    """A mistake in a command's arguments or files; ``status`` is the exit status to return."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


def interrupted(kept: str) -> int:
    """Report a Ctrl-C in one line saying what was ``kept``; return the exit status, 130.

    A second Ctrl-C (or one still pending from native code) is ignored from here on, so that
    shutting down cannot raise another KeyboardInterrupt and end the process by SIGINT.
    """
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print(f"\nrnnkit: interrupted; {kept}", file=sys.stderr)
    return 130
