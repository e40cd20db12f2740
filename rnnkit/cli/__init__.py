"""The ``rnnkit`` command line: the parser, the commands and the run folder of ``rnnkit train``."""

from rnnkit.cli.entry import main

__all__ = ["main"]
