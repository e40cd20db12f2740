"""The ``rnnkit`` command line (also ``python -m rnnkit``).

This module only parses arguments. The model commands (``train``, ``generate``, ``evaluate``)
live in :mod:`rnnkit.commands`, which loads TensorFlow only when one of them runs, so that
``rnnkit --help`` and the other commands never wait for it.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from rnnkit import commands, exercises, grading, release

MODEL_COMMANDS = {
    "train": commands.train,
    "generate": commands.generate,
    "evaluate": commands.evaluate,
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes read as one line: ``rnnkit: error: ...``."""

    def error(self, message):
        """Print the mistake and where to find the options; exit with status 2."""
        self.exit(2, f"rnnkit: error: {message} (see '{self.prog} --help')\n")


def _number(kind, allowed, accept):
    """An argparse type: ``kind(text)`` that must pass ``accept``; ``allowed`` says what passes."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, "a positive integer", lambda v: v > 0)
_count = _number(int, "an integer >= 0", lambda v: v >= 0)
_positive = _number(float, "a positive number", lambda v: 0 < v < float("inf"))
_fraction = _number(float, "a number strictly between 0 and 1", lambda v: 0 < v < 1)
_dropout = _number(float, "a number in [0, 1)", lambda v: 0 <= v < 1)


def _add_chapter_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "chapters", nargs="*", help="chapter sources (default: every chapters/NN_*.py, in order)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny budgets (the CI mode) instead of full mode"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per job."""
    parser = _Parser(prog="rnnkit", description="The RNN Workbook's tools.")
    subparsers = parser.add_subparsers(dest="command", required=True)

    workbook = subparsers.add_parser(
        "workbook",
        help="execute every chapter and write notebooks and HTML to an output folder",
    )
    _add_chapter_args(workbook)
    workbook.add_argument("--out", type=Path, default=Path("build"), help="output folder")

    notebooks = subparsers.add_parser(
        "notebooks",
        help="rebuild chapters/NN_*.ipynb from their .py sources and execute them in place",
    )
    _add_chapter_args(notebooks)

    release_cmd = subparsers.add_parser(
        "release",
        help="write student copies: solutions stubbed, hidden checks removed, outputs cleared",
    )
    release_cmd.add_argument(
        "chapters", nargs="*", help="chapter sources (default: every chapters/NN_*.py, in order)"
    )
    release_cmd.add_argument(
        "--out", type=Path, default=Path("build/student"), help="output folder (build/student)"
    )
    release_cmd.add_argument(
        "--verify",
        action="store_true",
        help="first grade each instructor chapter against itself (quick mode) and refuse to "
        "release if any of its checks fails",
    )

    grade_cmd = subparsers.add_parser(
        "grade", help="grade submitted notebooks: one CSV row per student and exercise"
    )
    grade_cmd.add_argument("submissions", nargs="+", type=Path, help="submitted .ipynb files")
    grade_cmd.add_argument(
        "--out", type=Path, default=Path("grades.csv"), help="CSV to write (grades.csv)"
    )
    grade_cmd.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    grade_cmd.add_argument("--jobs", type=int, default=1, help="submissions graded at once (1)")
    grade_cmd.add_argument(
        "--cell-timeout",
        type=float,
        default=grading.CELL_TIMEOUT_S,
        help=f"seconds one cell may run ({grading.CELL_TIMEOUT_S})",
    )
    grade_cmd.add_argument(
        "--timeout",
        type=float,
        default=grading.TIMEOUT_S,
        help=f"seconds one submission may run in all ({grading.TIMEOUT_S})",
    )
    grade_cmd.add_argument(
        "--chapters",
        type=Path,
        help="folder of the instructor's chapter sources (default: the repository's chapters/)",
    )
    _add_train(subparsers)
    _add_generate(subparsers)
    _add_evaluate(subparsers)
    return parser


_DATA_HELP = "a registered data set (timemachine) or the path of a UTF-8 text file"


def _add_train(subparsers) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a character-level language model; rerun to resume an interrupted run",
        description="Train a character-level RNN language model on cleaned text and save it, its "
        "vocabulary and a JSON training log in --out. The model is checkpointed after every "
        "epoch: rerunning the same command resumes an interrupted run.",
    )
    model = train.add_argument_group("model")
    model.add_argument(
        "--model", choices=commands.CELLS, default="gru", help="recurrent cell (gru)"
    )
    model.add_argument(
        "--layers", type=_positive_int, default=1, metavar="N", help="stacked layers (1)"
    )
    model.add_argument(
        "--hidden", type=_positive_int, default=128, metavar="H", help="units per layer (128)"
    )
    model.add_argument(
        "--bidirectional",
        action="store_true",
        help="refused: a bidirectional layer reads the character it should predict",
    )
    model.add_argument(
        "--embedding-dim",
        type=_positive_int,
        metavar="D",
        help="learn an embedding of D values per character (default: one-hot characters)",
    )
    model.add_argument(
        "--dropout",
        type=_dropout,
        default=0.0,
        metavar="P",
        help="dropout between stacked layers (0)",
    )
    model.add_argument(
        "--scratch",
        action="store_true",
        help="use rnnkit's scratch cells instead of the Keras built-in layers (the default)",
    )
    data = train.add_argument_group("data")
    data.add_argument("--data", default="timemachine", metavar="NAME_OR_PATH", help=_DATA_HELP)
    data.add_argument(
        "--keep-case", action="store_true", help="keep capital letters (default: lower-case)"
    )
    data.add_argument(
        "--keep-punctuation",
        action="store_true",
        help="keep every non-space character (default: letters and spaces only)",
    )
    data.add_argument(
        "--valid-fraction",
        type=_fraction,
        default=0.1,
        metavar="F",
        help="fraction at the end of the text held out for validation (0.1)",
    )
    run = train.add_argument_group("training")
    run.add_argument("--epochs", type=_positive_int, default=10, metavar="E", help="(10)")
    run.add_argument(
        "--batch-size", type=_positive_int, default=32, metavar="B", help="sequences (32)"
    )
    run.add_argument(
        "--num-steps",
        type=_positive_int,
        default=35,
        metavar="T",
        help="characters per sequence (35)",
    )
    run.add_argument("--optimizer", choices=commands.OPTIMIZERS, default="adam", help="(adam)")
    run.add_argument("--lr", type=_positive, default=0.01, help="learning rate (0.01)")
    run.add_argument(
        "--clip", type=_positive, default=1.0, metavar="C", help="gradient norm clip (1.0)"
    )
    run.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (0)")
    run.add_argument(
        "--warmup",
        type=_count,
        default=1000,
        metavar="W",
        help="training characters read before the validation text is scored (1000)",
    )
    run.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder for the model and its log"
    )
    run.add_argument(
        "--force", action="store_true", help="start afresh, replacing a run already in --out"
    )


def _add_generate(subparsers) -> None:
    generate = subparsers.add_parser(
        "generate", help="continue a prefix with a trained model and print the text"
    )
    generate.add_argument(
        "--model", type=Path, required=True, metavar="DIR", help="the --out of rnnkit train"
    )
    generate.add_argument("--prefix", default="", help="text to continue (default: none)")
    generate.add_argument(
        "--num-tokens", type=_count, default=200, metavar="N", help="characters to add (200)"
    )
    generate.add_argument(
        "--strategy", choices=commands.STRATEGIES, default="greedy", help="(greedy)"
    )
    generate.add_argument(
        "--temperature",
        type=_positive,
        default=1.0,
        metavar="T",
        help="below 1 sharper, above 1 flatter; temperature and top-k only (1.0)",
    )
    generate.add_argument(
        "--top-k", type=_positive_int, default=5, metavar="K", help="top-k only (5)"
    )
    generate.add_argument(
        "--seed", type=int, default=0, metavar="S", help="random seed of sampling (0)"
    )


def _add_evaluate(subparsers) -> None:
    evaluate = subparsers.add_parser(
        "evaluate",
        help="print a trained model's validation perplexity (every character predicted from "
        "all the text before it)",
    )
    evaluate.add_argument(
        "--model", type=Path, required=True, metavar="DIR", help="the --out of rnnkit train"
    )
    evaluate.add_argument(
        "--data", metavar="NAME_OR_PATH", help=_DATA_HELP + " (default: the training run's)"
    )
    evaluate.add_argument(
        "--valid-fraction",
        type=_fraction,
        metavar="F",
        help="fraction at the end of the text to score (default: the training run's)",
    )
    evaluate.add_argument(
        "--warmup",
        type=_count,
        metavar="W",
        help="characters read before the scored text (default: the training run's)",
    )


def _release(args) -> int:
    from rnnkit import notebooks

    sources = notebooks.chapter_sources(args.chapters)
    # Validating every chapter first means a malformed one stops the release before any work.
    with_exercises = [
        source
        for source in sources
        if exercises.chapter_exercises(notebooks.read_source(source), str(source))
    ]
    if args.verify:
        rows = []
        for source in with_exercises:
            print(f"verifying {source.name} ...", flush=True)
            rows += grading.verify(source)
        if rows:
            print(grading.summary(rows))
        if any(row.status != "passed" for row in rows):
            for row in rows:
                if row.status != "passed":
                    print(f"  {row.chapter} {row.exercise}: {row.status}: {row.reason}")
            print(
                "rnnkit: not released: the instructor chapters must pass all their checks",
                file=sys.stderr,
            )
            return 1
    for path in release.release(sources, args.out):
        print(f"wrote {path} and {path.with_suffix('.py').name}")
    return 0


def _grade(args) -> int:
    from rnnkit import notebooks

    missing = [str(path) for path in args.submissions if not path.is_file()]
    if missing:
        print(f"rnnkit: no such submission: {', '.join(missing)}", file=sys.stderr)
        return 2
    start = time.perf_counter()

    def progress(path, rows, seconds):
        points = sum(row.points for row in rows)
        most = sum(row.max_points for row in rows)
        print(f"[{seconds:6.1f}s] graded {path}: {points}/{most}", flush=True)

    rows = grading.grade(
        args.submissions,
        chapters_dir=args.chapters or notebooks.CHAPTERS_DIR,
        jobs=args.jobs,
        cell_timeout=args.cell_timeout,
        timeout=args.timeout,
        progress=progress,
    )
    grading.write_csv(rows, args.out)
    if args.json:
        grading.write_json(rows, args.json)
    print(grading.summary(rows))
    seconds = time.perf_counter() - start
    print(f"graded {len(args.submissions)} submission(s) in {seconds:.1f}s; wrote {args.out}")
    return 0


def _model_command(args) -> int:
    # Set before TensorFlow loads, which happens inside rnnkit.commands' functions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return MODEL_COMMANDS[args.command](args)
    except commands.CommandError as exc:
        message = " ".join(str(exc).splitlines())
        print(f"rnnkit: error: {message}", file=sys.stderr)
        return exc.status


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.command in MODEL_COMMANDS:
        return _model_command(args)
    from rnnkit import notebooks

    if args.command in ("release", "grade"):
        try:
            return _release(args) if args.command == "release" else _grade(args)
        except (FileNotFoundError, ValueError) as exc:  # exercises.MarkerError is a ValueError
            print(f"rnnkit: {exc}", file=sys.stderr)
            return 2
    try:
        if args.command == "workbook":
            return notebooks.run_all(args.chapters, args.out, quick=args.quick, html=True)
        return notebooks.run_all(args.chapters, None, quick=args.quick, html=False)
    except FileNotFoundError as exc:
        print(f"rnnkit: {exc}", file=sys.stderr)
        return 2
