"""The ``rnnkit`` command line (also ``python -m rnnkit``)."""

import argparse
import sys
from pathlib import Path


def _add_chapter_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "chapters", nargs="*", help="chapter sources (default: every chapters/NN_*.py, in order)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny budgets (the CI mode) instead of full mode"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(prog="rnnkit", description="The RNN Workbook's tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    workbook = commands.add_parser(
        "workbook",
        help="execute every chapter and write notebooks and HTML to an output folder",
    )
    _add_chapter_args(workbook)
    workbook.add_argument("--out", type=Path, default=Path("build"), help="output folder")

    notebooks = commands.add_parser(
        "notebooks",
        help="rebuild chapters/NN_*.ipynb from their .py sources and execute them in place",
    )
    _add_chapter_args(notebooks)
    return parser


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    from rnnkit import notebooks

    try:
        if args.command == "workbook":
            return notebooks.run_all(args.chapters, args.out, quick=args.quick, html=True)
        return notebooks.run_all(args.chapters, None, quick=args.quick, html=False)
    except FileNotFoundError as exc:
        print(f"rnnkit: {exc}", file=sys.stderr)
        return 2
