"""Grading speed: seconds per submission under the sandbox, against the same grading without it.

A batch of identical solved submissions of one chapter (chapter 1 by default) is graded twice
with ``--jobs`` workers: once as ``rnnkit grade`` does (every kernel under bubblewrap, with its
limits), once with ``--no-sandbox`` (the same splicing, execution and checks in a plain kernel).
The ratio of the two is the sandbox's overhead, measured in one run under the same machine
load (in the order A B B A, half the batch each time). One unmeasured submission warms the
caches first. Every row must pass: timing a batch
that fails would time something else. The table goes into ``docs/benchmarks.md``.

    python benchmarks/grading.py                       # 30 submissions, 2 workers
    python benchmarks/grading.py --submissions 10 --jobs 1
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import nbformat

# Set before TensorFlow loads: the chapter's checks, run in the grader, may import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit.course import editions, grading, markers, notebooks, runs, sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is no package
from markdown_report import REPORT, write_section  # noqa: E402

CHAPTER = notebooks.CHAPTERS_DIR / "01_sequence_models.py"


def solved_submission(source: Path):
    """The student edition of ``source`` with every exercise answered by its solution."""
    instructor = editions.instructor_copy(notebooks.read_source(source), source.stem)
    solutions = {
        cell.metadata[markers.EXERCISE_KEY]: cell.source
        for cell in instructor.cells
        if markers.EXERCISE_KEY in cell.metadata
    }
    student = editions.student_copy(notebooks.read_source(source), source.stem)
    for cell in student.cells:
        name = cell.metadata.get(markers.EXERCISE_KEY)
        if name in solutions:
            cell.source = solutions[name]
    return student


def time_batch(paths, chapters_dir, jobs, isolation) -> float:
    """Seconds to grade ``paths``; raises if any row does not pass."""
    start = time.perf_counter()
    rows = grading.grade(paths, chapters_dir, jobs=jobs, isolation=isolation)
    seconds = time.perf_counter() - start
    failed = [row for row in rows if row.status != "passed"]
    if failed:
        raise RuntimeError(f"{len(failed)} rows did not pass, first: {failed[0]}")
    return seconds


def table(per_submission: dict, args, chapter: str) -> str:
    """Markdown table: seconds per submission with and without the sandbox, and their ratio."""
    plain, boxed = per_submission["no sandbox"], per_submission["sandbox"]
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    return "\n".join(
        [
            f"### Grading, {machine}",
            "",
            f"{args.submissions} solved submissions of {chapter}, graded each way with `--jobs "
            f"{args.jobs}` in quick mode, in the order A B B A after one warm-up submission",
            "",
            "| grading | seconds per submission | against no sandbox |",
            "|---|---:|---:|",
            f"| `--no-sandbox` (plain kernel) | {plain:.2f} | 1.00 |",
            f"| sandbox (bubblewrap and limits) | {boxed:.2f} | {boxed / plain:.2f} |",
        ]
    )


def parse_args(argv):
    """Command-line options: the chapter, how many submissions, how many workers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", type=Path, default=CHAPTER, help="instructor source")
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    for name in ("submissions", "jobs"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be a positive integer")
    return args


def main(argv=None) -> int:
    """Grade the batch both ways; print and record the table."""
    args = parse_args(argv)
    problem = sandbox.available()
    if problem:
        print(f"cannot measure the sandbox: {problem}", file=sys.stderr)
        return 1
    source = args.chapter.resolve()
    with tempfile.TemporaryDirectory(prefix="rnnkit-grading-benchmark-") as tmp:
        folder = Path(tmp)
        nb = solved_submission(source)
        paths = []
        for index in range(args.submissions + 1):
            paths.append(folder / f"student{index:03d}.ipynb")
            nbformat.write(nb, paths[-1])
        warm_up, batch = paths[:1], paths[1:]
        time_batch(warm_up, source.parent, 1, runs.SANDBOXED)
        # A B B A: each way grades the whole batch, half early and half late, so that a machine
        # that warms up or gets busier in the middle favours neither.
        half = len(batch) // 2 or len(batch)
        ways = {"no sandbox": runs.TRUSTED, "sandbox": runs.SANDBOXED}
        seconds = dict.fromkeys(ways, 0.0)
        for label, part in [
            ("no sandbox", batch[:half]),
            ("sandbox", batch[:half]),
            ("sandbox", batch[half:]),
            ("no sandbox", batch[half:]),
        ]:
            if part:
                seconds[label] += time_batch(part, source.parent, args.jobs, ways[label])
        per_submission = {label: total / len(batch) for label, total in seconds.items()}
        for label, value in per_submission.items():
            print(f"{label:10} {value:.2f} s per submission", flush=True)
    body = table(per_submission, args, source.stem)
    print(body.splitlines()[-1])
    write_section(args.report, "grading", body)
    print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
