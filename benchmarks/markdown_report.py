"""The one way a benchmark records its table: a marked section of ``docs/benchmarks.md``."""

from pathlib import Path

from rnnkit import files

REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_section(report: Path, name: str, body: str) -> None:
    """Replace (or add) the section ``name`` of the report, atomically; the rest is kept."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    section = f"{begin}\n{body}\n{end}"
    text = report.read_text(encoding="utf-8") if report.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{section}\n"
    files.write_text(report, text)
