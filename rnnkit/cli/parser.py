"""The argument parser of the ``rnnkit`` command line: one sub-command per job, parsing only.

Each option's type checks its form (a positive integer, a fraction, ...), so a mistyped value is
answered at once, before anything is imported. What each command does is in
:mod:`rnnkit.cli.commands` (train, generate, evaluate) and :mod:`rnnkit.cli.course_commands`
(workbook, notebooks, release, grade); :mod:`rnnkit.cli.entry` calls them.
"""

import argparse
import dataclasses
import sys
from pathlib import Path

from rnnkit import validate
from rnnkit.cli import commands
from rnnkit.cli.config import TrainConfig
from rnnkit.course import grading


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes read as one line: ``rnnkit: error: ...``."""

    def error(self, message):
        """Print the mistake and where to find the options; exit with status 2."""
        self.exit(2, f"rnnkit: error: {message} (see '{self.prog} --help')\n")


def _typed(kind, check):
    """An argparse type: ``kind(text)`` passed through ``check`` from :mod:`rnnkit.validate`."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = text  # not even a number: the check says what it wants instead
        try:
            return check(value, "it")
        except (TypeError, ValueError) as err:
            allowed = str(err).removeprefix("it must be ").split(", got ")[0]
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None

    return parse


class _Deprecated(argparse.Action):
    """An old spelling of an option: stores into the new one's ``dest`` and says what to use."""

    def __init__(self, option_strings, dest, use, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.use = use

    def __call__(self, parser, namespace, values, option_string=None):
        """Store the value as the new option would, after a one-line warning."""
        print(
            f"rnnkit: warning: {option_string} is deprecated here; use {self.use}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def _add_run(parser) -> None:
    """``--run DIR`` (required), the folder of a training run, and its old name ``--model``."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--run", type=Path, metavar="DIR", help="the --out of rnnkit train")
    group.add_argument(
        "--model",
        dest="run",
        type=Path,
        metavar="DIR",
        action=_Deprecated,
        use="--run",
        help="deprecated spelling of --run",
    )


_positive_int = _typed(int, validate.positive_integer)
_count = _typed(int, lambda value, name: validate.integer(value, name, minimum=0))
_positive = _typed(float, validate.positive_number)
_fraction = _typed(float, validate.fraction)
_dropout = _typed(float, validate.rate)
_num_tokens = _typed(
    int, lambda value, name: validate.integer(value, name, minimum=0, maximum=commands.MAX_TOKENS)
)


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
    workbook.add_argument(
        "--with-solutions",
        action="store_true",
        help="run the instructor edition (solutions and hidden checks) instead of the student's",
    )

    notebooks = subparsers.add_parser(
        "notebooks",
        help="rebuild chapters/NN_*.ipynb (the student edition) from their .py sources and "
        "execute them in place",
    )
    _add_chapter_args(notebooks)

    release_cmd = subparsers.add_parser(
        "release",
        help="write student copies (solutions stubbed, hidden checks removed, the outputs of "
        "the committed notebooks) or, with --with-solutions, unexecuted instructor copies",
    )
    release_cmd.add_argument(
        "chapters", nargs="*", help="chapter sources (default: every chapters/NN_*.py, in order)"
    )
    release_cmd.add_argument(
        "--out", type=Path, default=Path("build/student"), help="output folder (build/student)"
    )
    release_cmd.add_argument(
        "--with-solutions",
        action="store_true",
        help="write the instructor edition (solutions and hidden checks), unexecuted",
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
        "--no-sandbox",
        action="store_true",
        help="run student code without bubblewrap (only for submissions you trust); the "
        "summary says so in its first line",
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
    model.add_argument("--cell", choices=commands.CELLS, help="recurrent cell (%(default)s)")
    model.add_argument(
        "--model",
        dest="cell",
        choices=commands.CELLS,
        action=_Deprecated,
        use="--cell",
        help="deprecated spelling of --cell",
    )
    model.add_argument(
        "--layers", type=_positive_int, metavar="N", help="stacked layers (%(default)s)"
    )
    model.add_argument(
        "--hidden", type=_positive_int, metavar="H", help="units per layer (%(default)s)"
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
        metavar="P",
        help="dropout between stacked layers (%(default)s)",
    )
    model.add_argument(
        "--scratch",
        action="store_true",
        help="use rnnkit's scratch cells instead of the Keras built-in layers (the default)",
    )
    data = train.add_argument_group("data")
    data.add_argument("--data", metavar="NAME_OR_PATH", help=_DATA_HELP)
    data.add_argument(
        "--keep-case", action="store_true", help="keep capital letters (default: lower-case)"
    )
    data.add_argument(
        "--keep-punctuation",
        action="store_true",
        help="keep every character and line breaks (default: letters and spaces only)",
    )
    data.add_argument(
        "--valid-fraction",
        type=_fraction,
        metavar="F",
        help="fraction before the test part held out for validation (%(default)s)",
    )
    data.add_argument(
        "--test-fraction",
        type=_fraction,
        metavar="F",
        help="fraction at the end of the text held out for the final test (%(default)s)",
    )
    run = train.add_argument_group("training")
    run.add_argument("--epochs", type=_positive_int, metavar="E", help="(%(default)s)")
    run.add_argument(
        "--batch-size", type=_positive_int, metavar="B", help="sequences (%(default)s)"
    )
    run.add_argument(
        "--num-steps",
        type=_positive_int,
        metavar="T",
        help="characters per sequence (%(default)s)",
    )
    run.add_argument("--optimizer", choices=commands.OPTIMIZERS, help="(%(default)s)")
    run.add_argument("--lr", type=_positive, help="learning rate (%(default)s)")
    run.add_argument("--clip", type=_positive, metavar="C", help="gradient norm clip (%(default)s)")
    run.add_argument("--seed", type=int, metavar="S", help="random seed (%(default)s)")
    run.add_argument(
        "--warmup",
        type=_count,
        metavar="W",
        help="training characters read before the validation text is scored (%(default)s)",
    )
    run.add_argument(
        "--out",
        "--run",
        dest="out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the run: rnnkit writes only its own files there and refuses a folder "
        "that holds others",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="start afresh, replacing the files of a run rnnkit wrote in --out (and only those)",
    )
    # The defaults live in TrainConfig, the one description of a training run.
    train.set_defaults(
        **{f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name != "out"}
    )


def _add_generate(subparsers) -> None:
    generate = subparsers.add_parser(
        "generate", help="continue a prefix with a trained model, printing as it goes"
    )
    _add_run(generate)
    generate.add_argument("--prefix", default="", help="text to continue (default: none)")
    generate.add_argument(
        "--num-tokens",
        type=_num_tokens,
        default=200,
        metavar="N",
        help=f"characters to add, at most {commands.MAX_TOKENS:,} (200)",
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
        help="print a trained model's perplexity on a text (every character predicted from "
        "all the text before it)",
    )
    _add_run(evaluate)
    evaluate.add_argument(
        "--data", metavar="NAME_OR_PATH", help=_DATA_HELP + " (default: the training run's)"
    )
    evaluate.add_argument(
        "--split",
        choices=("valid", "test", "all"),
        default="valid",
        help="score the validation part while choosing, the test part once at the end, or all "
        "of another text (%(default)s)",
    )
    evaluate.add_argument(
        "--valid-fraction",
        type=_fraction,
        metavar="F",
        help="fraction held out for validation (default: the training run's)",
    )
    evaluate.add_argument(
        "--test-fraction",
        type=_fraction,
        metavar="F",
        help="fraction at the end held out for the test (default: the training run's)",
    )
    evaluate.add_argument(
        "--warmup",
        type=_count,
        metavar="W",
        help="characters read before the scored text (default: the training run's)",
    )
