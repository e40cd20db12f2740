"""The command line's errors: a mistake the user can fix, reported as one line, not a traceback."""


class CommandError(ValueError):
    """A mistake in a command's arguments or files; ``status`` is the exit status to return."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status
