"""Tests for rnnkit.cli.run_folder: the training log, atomic writes and the checks on a run folder.

The command-level behaviour (resuming, refusing a damaged folder) is in tests/test_cli.py.
"""

import json
from types import SimpleNamespace

import pytest

from rnnkit.cli import run_folder
from rnnkit.cli.config import RUN_SETTINGS
from rnnkit.cli.errors import CommandError

SETTINGS = {name: 1 for name in RUN_SETTINGS}
SHA = "0" * 64


def history(*losses):
    """A stand-in for training.TrainingHistory: what log_entries reads of one."""
    return SimpleNamespace(epochs=len(losses), loss=list(losses), perplexity=[2.0] * len(losses))


def a_log(epochs_done=0):
    log = run_folder.new_log(SETTINGS, SHA, "abc", range(80), range(10), range(10))
    log["args"] = {**SETTINGS, "epochs": 3, "warmup": 100}
    log["epochs"] = run_folder.log_entries(history(*[1.0] * epochs_done), [])
    return log


def test_a_written_log_reads_back(tmp_path):
    log = a_log(epochs_done=2)
    run_folder.write_log(log, tmp_path)
    assert run_folder.read_log(tmp_path) == log
    assert log["vocab_size"] == 3 and log["train_characters"] == 80
    assert log["valid_characters"] == log["test_characters"] == 10
    assert [p.name for p in tmp_path.iterdir()] == [run_folder.LOG_FILE]


def test_a_failed_write_leaves_the_previous_files_whole(tmp_path):
    run_folder.write_log(a_log(), tmp_path)
    before = (tmp_path / run_folder.LOG_FILE).read_text()
    with pytest.raises(TypeError):
        run_folder.write_log({"not json": object()}, tmp_path)

    class HalfSaved:
        def save(self, path):
            path.write_bytes(b"half a model")
            raise KeyboardInterrupt

    (tmp_path / run_folder.MODEL_FILE).write_bytes(b"old model")
    with pytest.raises(KeyboardInterrupt):
        run_folder.save_model(HalfSaved(), tmp_path)
    assert (tmp_path / run_folder.LOG_FILE).read_text() == before
    assert (tmp_path / run_folder.MODEL_FILE).read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        run_folder.MODEL_FILE,
        run_folder.LOG_FILE,
    ]


def test_log_entries_keep_what_only_the_log_knows():
    previous = [{"epoch": 1, "loss": 9.0, "valid_perplexity": 5.5, "seconds": 1.5}]
    entries = run_folder.log_entries(history(3.0, 2.0), previous)
    assert entries == [
        {"epoch": 1, "loss": 3.0, "perplexity": 2.0, "valid_perplexity": 5.5, "seconds": 1.5},
        {"epoch": 2, "loss": 2.0, "perplexity": 2.0, "valid_perplexity": None, "seconds": None},
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "training_log.json is missing"),
        ("{half", "is not valid JSON"),
        (json.dumps({"format": "something else", "args": {}, "epochs": []}), "not an rnnkit"),
        (json.dumps({**a_log(), "args": SETTINGS}), "not an rnnkit training log"),
    ],
    ids=["missing", "not JSON", "other format", "no --epochs"],
)
def test_read_log_refuses_what_rnnkit_train_did_not_write(tmp_path, content, fragment):
    if content is not None:
        (tmp_path / run_folder.LOG_FILE).write_text(content)
    with pytest.raises(CommandError, match=fragment) as info:
        run_folder.read_log(tmp_path)
    assert info.value.status == 2


def test_previous_run_resumes_only_the_same_run(tmp_path):
    assert run_folder.previous_run(tmp_path, SETTINGS, SHA, epochs=3) is None
    (tmp_path / run_folder.CHECKPOINT_DIR).mkdir()
    with pytest.raises(CommandError, match="holds checkpoints but no training_log.json"):
        run_folder.previous_run(tmp_path, SETTINGS, SHA, epochs=3)
    run_folder.write_log(a_log(epochs_done=2), tmp_path)
    assert len(run_folder.previous_run(tmp_path, SETTINGS, SHA, epochs=2)["epochs"]) == 2
    with pytest.raises(CommandError, match="already holds 2 epochs, more than --epochs 1"):
        run_folder.previous_run(tmp_path, SETTINGS, SHA, epochs=1)
    other = {**SETTINGS, "num_steps": 35}
    with pytest.raises(CommandError) as info:
        run_folder.previous_run(tmp_path, other, "1" * 64, epochs=3)
    assert "(--num-steps 35, not 1; the data's contents changed)" in str(info.value)


def test_clear_removes_the_run_and_nothing_else(tmp_path):
    for name in (run_folder.MODEL_FILE, run_folder.LOG_FILE, run_folder.VOCAB_FILE, "notes.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / run_folder.CHECKPOINT_DIR).mkdir()
    (tmp_path / run_folder.CHECKPOINT_DIR / "ckpt-1.index").write_text("x")
    run_folder.clear(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", run_folder.VOCAB_FILE]


def test_open_folder_refuses_a_file(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match="is not a folder: give the --out of rnnkit train"):
        run_folder.open_folder(path)
