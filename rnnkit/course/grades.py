"""The grade table: one row per student and exercise, written as CSV and JSON, and its summary.

Both files are replaced atomically, so a grader interrupted while writing leaves the previous
grades whole.
"""

import csv
import io
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from rnnkit import files

STATUSES = ("passed", "failed", "not attempted", "error", "timeout", "missing", "invalid")


@dataclass
class Row:
    """The grade of one exercise of one submission."""

    student: str
    chapter: str
    exercise: str
    points: int
    max_points: int
    status: str
    reason: str = ""


def write_csv(rows: list[Row], path: Path) -> None:
    """Write the rows as CSV (one line per student and exercise)."""
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=[f.name for f in fields(Row)])
    writer.writeheader()
    writer.writerows(asdict(row) for row in rows)
    files.write_text(path, table.getvalue())


def write_json(rows: list[Row], path: Path) -> None:
    """Write the rows as a JSON list of objects."""
    files.write_json(path, [asdict(row) for row in rows])


def totals(rows: list[Row]) -> dict[tuple[str, str], tuple[int, int]]:
    """(student, chapter) -> (points, max points)."""
    sums = {}
    for row in rows:
        points, most = sums.get((row.student, row.chapter), (0, 0))
        sums[(row.student, row.chapter)] = (points + row.points, most + row.max_points)
    return sums


def summary(rows: list[Row]) -> str:
    """A table of each student's total per chapter and the exercises that did not pass."""
    width = max([len("student")] + [len(row.student) for row in rows])
    chapter_width = max([len("chapter")] + [len(row.chapter) for row in rows])
    lines = [f"{'student':<{width}}  {'chapter':<{chapter_width}}  {'score':>7}  not passed"]
    for (student, chapter), (points, most) in totals(rows).items():
        misses = ", ".join(
            f"{row.exercise} ({row.status})"
            for row in rows
            if (row.student, row.chapter) == (student, chapter) and row.status != "passed"
        )
        score = f"{points}/{most}"
        lines.append(f"{student:<{width}}  {chapter:<{chapter_width}}  {score:>7}  {misses}")
    return "\n".join(lines)
