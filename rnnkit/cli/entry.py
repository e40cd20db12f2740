"""``main``: parse the command line, call the command, turn a user's mistake into one line.

TensorFlow is loaded only inside the model commands, after their cheap checks, so that
``rnnkit --help`` and a mistyped option answer at once. :func:`console_main` is what the
``rnnkit`` command and ``python -m rnnkit`` run: ``main`` with a quiet console.
"""

import os
import sys

from rnnkit.cli import commands, course_commands
from rnnkit.cli.config import TrainConfig
from rnnkit.cli.errors import CommandError
from rnnkit.cli.parser import build_parser

COMMANDS = {
    "train": lambda args: commands.train(TrainConfig.from_args(args)),
    "generate": commands.generate,
    "evaluate": commands.evaluate,
    "workbook": course_commands.workbook,
    "notebooks": course_commands.rebuild_notebooks,
    "release": course_commands.release,
    "grade": course_commands.grade,
}
MODEL_COMMANDS = ("train", "generate", "evaluate")


def console_main() -> int:
    """``main`` for a real console: C++ start-up logs go to /dev/null, Python's stderr stays.

    TensorFlow's native code writes start-up lines to file descriptor 2 (absl's "All log
    messages before absl::InitializeLog()", the oneDNN and CUDA notices) that no log level
    silences. Python's ``sys.stderr`` moves to a copy of the terminal's descriptor first, so
    rnnkit's errors, warnings and tracebacks still reach the user; only what native code writes
    straight to descriptor 2 is dropped.
    """
    try:
        if sys.stderr is not None and sys.stderr.fileno() == 2:
            sys.stderr.flush()
            terminal = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
            sys.stderr = os.fdopen(
                terminal, "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace"
            )
    except (AttributeError, OSError, ValueError):
        pass  # no real descriptor 2 (an IDE's console, a test): nothing to silence
    return main()


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    # Set before TensorFlow loads, which happens inside the model commands.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return COMMANDS[args.command](args)
    except CommandError as exc:
        message = " ".join(str(exc).splitlines())
        print(f"rnnkit: error: {message}", file=sys.stderr)
        return exc.status
    except (FileNotFoundError, ValueError) as exc:
        if args.command in MODEL_COMMANDS:
            raise  # anything but a CommandError there is a bug: keep its traceback
        # A missing chapter, or a malformed exercise marker (exercises.MarkerError).
        print(f"rnnkit: {exc}", file=sys.stderr)
        return 2
