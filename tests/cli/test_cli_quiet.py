"""Quiet and fast: no TensorFlow log line on any command; a user's mistake is answered before
TensorFlow loads.

"Before TensorFlow loads" is checked, not timed: the mistakes run with a ``tensorflow`` package
first on the path that fails on import, so any command that reached TensorFlow would say so.
"""

import pytest
from cli_cases import environment, one_error_line, rnnkit, text_file, trained_run

# What TensorFlow and absl print at start-up when nothing silences them.
LOG_MARKERS = ("absl::", "oneDNN", "cuda", "TF_ENABLE", "I0000", "W0000", "E0000", "tensorflow/")


@pytest.fixture(scope="module")
def novel(tmp_path_factory):
    """A 170 kB text, the size of a short novel."""
    return text_file(tmp_path_factory, 170_000, seed=5, name="novel.txt")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, novel):
    return trained_run(tmp_path_factory, novel)


def test_train_and_generate_print_no_tensorflow_log_line(trained):
    out, done = trained
    assert done.returncode == 0 and done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("training a gru") and lines[-1].startswith("best validation")
    generated = rnnkit("generate", "--run", out, "--prefix", "the ", "--num-tokens", "40")
    assert generated.returncode == 0 and generated.stderr == "", generated.stderr
    for printed in (done.stdout, generated.stdout):
        assert not any(marker in printed for marker in LOG_MARKERS), printed


@pytest.fixture(scope="module")
def no_tensorflow(tmp_path_factory):
    """An environment in which importing TensorFlow fails loudly."""
    fake = tmp_path_factory.mktemp("fake") / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('TensorFlow was imported')\n")
    return environment(PYTHONPATH=str(fake.parent))


def test_mistakes_are_answered_before_tensorflow_loads(tmp_path, novel, trained, no_tensorflow):
    out, _ = trained
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    (tmp_path / "users" / "notes.txt").parent.mkdir()
    (tmp_path / "users" / "notes.txt").write_text("mine")
    cases = [
        (["train", "--data", tmp_path / "missing.txt", "--out", tmp_path / "r"], 2, "neither"),
        (["train", "--data", tmp_path, "--out", tmp_path / "r"], 2, "is a folder"),
        (["train", "--data", empty, "--out", tmp_path / "r"], 2, "is empty"),
        (["train", "--data", novel, "--batch-size", "9999", "--out", tmp_path / "r"], 2, "large"),
        (["train", "--data", novel, "--hidden", "100000", "--out", tmp_path / "r"], 1, "memory"),
        (["train", "--data", novel, "--out", "/proc/no/run"], 2, "cannot be created"),
        (["train", "--data", novel, "--out", tmp_path / "users"], 2, "notes.txt"),
        (["train", "--data", novel, "--dropout", "0.5", "--out", tmp_path / "r"], 2, "--layers"),
        (["generate", "--run", tmp_path / "nowhere"], 2, "no such folder"),
        (["evaluate", "--run", tmp_path / "users"], 2, "training_log.json is missing"),
        (["generate", "--run", out, "--prefix", "123"], 2, "none of its characters"),
    ]
    for argv, status, fragment in cases:
        one_error_line(rnnkit(*argv, env=no_tensorflow), status, fragment)
