"""What ``rnnkit workbook``, ``notebooks``, ``release`` and ``grade`` do (no TensorFlow here).

Each function takes the parsed options and returns the exit status; the work itself is done by
:mod:`rnnkit.course`.
"""

import sys
import time

from rnnkit.course import grades, grading, markers, notebooks, runs, sandbox
from rnnkit.course import release as releasing
from rnnkit.course import workbook as running


def workbook(args) -> int:
    """``rnnkit workbook``: execute every chapter into ``--out``, with HTML pages."""
    return running.run_all(
        args.chapters, args.out, quick=args.quick, html=True, solutions=args.with_solutions
    )


def rebuild_notebooks(args) -> int:
    """``rnnkit notebooks``: rebuild and execute the student ``chapters/NN_*.ipynb`` in place."""
    return running.run_all(args.chapters, None, quick=args.quick, html=False)


def release(args) -> int:
    """``rnnkit release``: check every chapter's markers, optionally verify, write copies."""
    sources = notebooks.chapter_sources(args.chapters)
    # Validating every chapter first means a malformed one stops the release before any work.
    with_exercises = [
        source
        for source in sources
        if markers.chapter_exercises(notebooks.read_source(source), str(source))
    ]
    if args.verify:
        rows = []
        for source in with_exercises:
            print(f"verifying {source.name} ...", flush=True)
            rows += grading.verify(source)
        if rows:
            print(grades.summary(rows))
        if any(row.status != "passed" for row in rows):
            for row in rows:
                if row.status != "passed":
                    print(f"  {row.chapter} {row.exercise}: {row.status}: {row.reason}")
            print(
                "rnnkit: not released: the instructor chapters must pass all their checks",
                file=sys.stderr,
            )
            return 1
    for path in releasing.release(sources, args.out, solutions=args.with_solutions):
        print(f"wrote {path} and {path.with_suffix('.py').name}")
    return 0


def grade(args) -> int:
    """``rnnkit grade``: grade submissions; write the CSV (and JSON) and print a summary."""
    missing = [str(path) for path in args.submissions if not path.exists()]
    if missing:
        print(f"rnnkit: no such submission: {', '.join(missing)}", file=sys.stderr)
        return 2
    if not args.no_sandbox:
        problem = sandbox.available()
        if problem:
            print(f"rnnkit: cannot grade safely: {problem}", file=sys.stderr)
            return 2
    out_folders = [path.parent.absolute() for path in (args.out, args.json) if path]
    isolation = runs.Isolation(sandbox=not args.no_sandbox, hidden=tuple(out_folders))
    warning = "WARNING: graded WITHOUT a sandbox (--no-sandbox): student code ran unisolated"
    if args.no_sandbox:
        print(warning, flush=True)
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
        isolation=isolation,
    )
    grades.write_csv(rows, args.out)
    if args.json:
        grades.write_json(rows, args.json)
    if args.no_sandbox:
        print(warning)
    print(grades.summary(rows))
    seconds = time.perf_counter() - start
    print(f"graded {len(args.submissions)} submission(s) in {seconds:.1f}s; wrote {args.out}")
    return 0
