"""``main``: parse the command line, call the command, turn a user's mistake into one line.

TensorFlow is loaded only inside the model commands, after their cheap checks, so that
``rnnkit --help`` and a mistyped option answer at once. :func:`console_main` is what the
``rnnkit`` command and ``python -m rnnkit`` run: ``main`` with a quiet console.
"""

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from rnnkit import files
from rnnkit.cli import commands, course_commands
from rnnkit.cli.config import TrainConfig
from rnnkit.cli.errors import CommandError, interrupted
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
    try:
        return main()
    except KeyboardInterrupt:  # while the parser was still loading
        return interrupted("no file was changed")


def main(argv=None) -> int:
    """Run the command line; return the exit status.

    Nothing a user does ends in a traceback: a mistake is one ``rnnkit: error:`` line (status 2,
    or 1 when the run itself failed), Ctrl-C is status 130, a closed pipe (``| head``) ends
    quietly with status 141 as a program stopped by SIGPIPE would, and an unexpected error (a
    bug) is one line naming the file that holds its traceback.
    """
    # Set before TensorFlow loads, which happens inside the model commands.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CommandError as exc:
        message = " ".join(str(exc).splitlines())
        print(f"rnnkit: error: {message}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        # train says itself what it kept; the others write nothing, or each file whole.
        kept = (
            "no file was changed"
            if args.command in MODEL_COMMANDS
            else "every file it wrote is whole"
        )
        return interrupted(kept)
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except (FileNotFoundError, ValueError) as exc:
        if args.command in MODEL_COMMANDS:
            return _internal_error(exc)
        # A missing chapter, or a malformed exercise marker (markers.MarkerError).
        print(f"rnnkit: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line here, the details in a file
        return _internal_error(exc)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that exiting does not flush into a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass  # not a real descriptor: nothing will be flushed into the pipe


def _internal_error(exc: BaseException) -> int:
    """Report a bug in one line and write its traceback to a file; return status 70."""
    detail = "".join(traceback.format_exception(exc))
    name = f"rnnkit-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        where = files.write_text(Path(tempfile.gettempdir()) / name, detail)
        told = f"the traceback is in {where}"
    except OSError:
        told = "the traceback could not be saved"
    summary = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    print(
        f"rnnkit: internal error ({summary}); {told}: please report it with the command you ran",
        file=sys.stderr,
    )
    return 70
