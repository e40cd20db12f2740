"""The ``rnnkit`` command line (also ``python -m rnnkit``)."""

import argparse
import sys
import time
from pathlib import Path

from rnnkit import exercises, grading, release


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

    release_cmd = commands.add_parser(
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

    grade_cmd = commands.add_parser(
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
    return parser


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


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
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
