"""The throughput benchmark runs end to end and records its table (tiny sizes)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"


def _load():
    spec = importlib.util.spec_from_file_location("throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_throughput_writes_a_table_and_keeps_other_sections(tmp_path, capsys):
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\n## Perplexity\nkept as it is\n")
    throughput = _load()
    argv = ["--units", "4", "--batch", "2", "--num-steps", "3", "--steps", "1"]
    argv += ["--eager-steps", "1", "--rounds", "1", "--cells", "GRU", "--report", str(report)]
    assert throughput.main(argv) == 0
    first = report.read_text()
    assert "kept as it is" in first
    rows = [line for line in first.splitlines() if line.startswith("| GRU |")]
    assert [row.split("|")[2].strip() for row in rows] == ["eager", "tf.function", "XLA"]
    for row in rows:
        ratio = float(row.split("|")[5])
        assert ratio > 0
    # A second run replaces the section instead of appending another.
    assert throughput.main(argv + ["--modes", "eager"]) == 0
    assert report.read_text().count("<!-- throughput:CPU:begin -->") == 1
    assert "ratio" in capsys.readouterr().out


def test_sizes_must_be_positive(capsys):
    throughput = _load()
    with pytest.raises(SystemExit) as exit_:
        throughput.main(["--units", "0"])
    assert exit_.value.code == 2
    assert "--units must be a positive integer" in capsys.readouterr().err


GRADING = SCRIPT.with_name("grading.py")
FIXTURE_CHAPTER = (
    Path(__file__).resolve().parent / "fixtures" / "chapters" / "01_exercise_fixture.py"
)


def test_grading_benchmark_records_the_sandbox_overhead(tmp_path):
    from rnnkit.course import sandbox

    if sandbox.available():
        pytest.skip(sandbox.available())
    spec = importlib.util.spec_from_file_location("grading_benchmark", GRADING)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = tmp_path / "benchmarks.md"
    report.write_text("# Benchmarks\n\n## Perplexity\nkept as it is\n")
    argv = ["--chapter", str(FIXTURE_CHAPTER), "--submissions", "2", "--jobs", "1"]
    assert module.main([*argv, "--report", str(report)]) == 0
    text = report.read_text()
    assert "kept as it is" in text and text.count("<!-- grading:begin -->") == 1
    row = next(line for line in text.splitlines() if line.startswith("| sandbox"))
    assert float(row.split("|")[2]) > 0 and float(row.split("|")[3]) > 0
