"""rnnkit.cli.run_folder without TensorFlow: the manifest, ownership, the log and resuming.

What the real command line does with a run folder (refusing, --force, kills) is tested through
subprocesses in tests/cli/test_cli_*.py; here each rule is pinned down on its own.
"""

import json
from types import SimpleNamespace

import pytest

from rnnkit import files
from rnnkit.cli import run_folder
from rnnkit.cli.config import RUN_SETTINGS
from rnnkit.cli.errors import CommandError
from rnnkit.data.vocab import Vocab

SETTINGS = {name: 1 for name in RUN_SETTINGS}
SHA = "0" * 64
VOCAB = Vocab(list("abcab"))


def history(*valid):
    """A stand-in for training.TrainingHistory: one epoch per validation perplexity."""
    return SimpleNamespace(
        epochs=len(valid),
        loss=[1.0] * len(valid),
        perplexity=[2.0] * len(valid),
        notes=[{"valid_perplexity": v, "seconds": 0.5} for v in valid],
    )


def a_log(*valid):
    log = run_folder.new_log(SETTINGS, SHA, VOCAB, range(80), range(10), range(10))
    log["args"] = {**SETTINGS, "epochs": 3, "warmup": 100}
    return run_folder.update_log(log, history(*valid))


def test_a_fresh_or_empty_folder_is_claimed_and_created(tmp_path):
    manifest = run_folder.claim(tmp_path / "new" / "run")
    assert manifest.entries == {} and (tmp_path / "new" / "run").is_dir()
    assert run_folder.claim(tmp_path / "new" / "run").foreign() == []


def test_files_rnnkit_did_not_write_are_refused_and_named(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / run_folder.VOCAB_FILE).write_text("my own vocabulary")
    (tmp_path / run_folder.CHECKPOINT_DIR).mkdir()  # a folder of the user's, not rnnkit's
    with pytest.raises(CommandError) as info:
        run_folder.claim(tmp_path)
    message = str(info.value)
    assert "checkpoints/, notes.txt, vocab.json" in message and "--force included" in message
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_file_rnnkit_wrote_and_someone_changed_is_no_longer_rnnkits(tmp_path):
    manifest = run_folder.claim(tmp_path)
    manifest.write_json(run_folder.LOG_FILE, a_log(3.0))
    assert run_folder.claim(tmp_path).foreign() == []
    (tmp_path / run_folder.LOG_FILE).write_text("edited by hand")
    with pytest.raises(CommandError, match="training_log.json"):
        run_folder.claim(tmp_path)


def test_in_rnnkits_checkpoints_folder_only_tensorflows_names_are_rnnkits(tmp_path):
    manifest = run_folder.claim(tmp_path)
    folder = manifest.checkpoint_dir()
    folder.mkdir()
    for name in ("checkpoint", "ckpt-3.index", "ckpt-3.data-00000-of-00001", "ckpt-4_temp"):
        (folder / name).write_text("x")
    assert manifest.foreign() == []
    (folder / "best-by-hand.h5").write_text("mine")
    assert manifest.foreign() == ["checkpoints/best-by-hand.h5"]


def test_a_manifest_rnnkit_did_not_write_is_refused(tmp_path):
    (tmp_path / run_folder.MANIFEST_FILE).write_text('{"files": {"thesis.tex": {}}}')
    with pytest.raises(CommandError, match="is not a manifest written by rnnkit"):
        run_folder.claim(tmp_path)


def test_clear_removes_only_files_claim_has_vouched_for(tmp_path):
    manifest = run_folder.claim(tmp_path)
    manifest.write(run_folder.VOCAB_FILE, VOCAB.save)
    manifest.checkpoint_dir().mkdir()
    (tmp_path / run_folder.CHECKPOINT_DIR / "ckpt-1.index").write_text("x")
    run_folder.claim(tmp_path).clear()
    assert [p.name for p in tmp_path.iterdir()] == [run_folder.MANIFEST_FILE]


@pytest.mark.parametrize("moment", ["before the rename", "after the rename"])
def test_a_write_killed_at_any_moment_leaves_a_file_the_manifest_knows(
    tmp_path, monkeypatch, moment
):
    manifest = run_folder.claim(tmp_path)
    manifest.write_json(run_folder.LOG_FILE, a_log(3.0))
    before = (tmp_path / run_folder.LOG_FILE).read_text()
    calls = []
    # Three renames per write: the manifest (announcing), the file, the manifest (settling).
    kill_at = {"before the rename": 2, "after the rename": 3}[moment]

    def killed(*args):
        calls.append(args)
        if len(calls) == kill_at:
            raise KeyboardInterrupt
        return real(*args)

    real = files.move_into_place
    monkeypatch.setattr(files, "move_into_place", killed)
    with pytest.raises(KeyboardInterrupt):
        manifest.write_json(run_folder.LOG_FILE, a_log(3.0, 2.5))
    monkeypatch.undo()
    changed = (tmp_path / run_folder.LOG_FILE).read_text() != before
    assert changed == (moment == "after the rename")
    assert run_folder.claim(tmp_path).foreign() == []
    # A temporary file a SIGKILL left behind is rnnkit's too.
    files.temporary_name(tmp_path / run_folder.MODEL_FILE).write_bytes(b"half a model")
    assert run_folder.claim(tmp_path).foreign() == []


def test_the_log_is_strict_json_with_the_best_epoch():
    log = a_log(3.0, 2.5, 2.5, float("inf"))
    assert log["best_epoch"] == 2 and log["best_valid_perplexity"] == 2.5
    assert log["epochs"][3]["valid_perplexity"] is None
    json.loads(files.json_text(log))  # would raise on NaN or infinity
    with pytest.raises(ValueError):
        files.json_text({"perplexity": float("nan")})


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


def test_previous_run_resumes_the_same_run_wherever_its_data_now_lies(tmp_path):
    assert run_folder.previous_run(tmp_path, SETTINGS, SHA, epochs=3) is None
    files.write_json(tmp_path / run_folder.LOG_FILE, a_log())
    assert run_folder.previous_run(tmp_path, SETTINGS, SHA, epochs=3) is None  # nothing to keep
    files.write_json(tmp_path / run_folder.LOG_FILE, a_log(3.0, 2.5))
    moved = {**SETTINGS, "data": "/somewhere/else/same.txt"}
    assert len(run_folder.previous_run(tmp_path, moved, SHA, epochs=2)["epochs"]) == 2
    with pytest.raises(CommandError, match="already holds 2 epochs, more than --epochs 1"):
        run_folder.previous_run(tmp_path, SETTINGS, SHA, epochs=1)
    other = {**SETTINGS, "num_steps": 35}
    with pytest.raises(CommandError) as info:
        run_folder.previous_run(tmp_path, other, "1" * 64, epochs=3)
    assert "--num-steps 35, not 1; --data 1 holds other text than 1" in str(info.value)


def test_a_vocabulary_from_another_run_is_refused_even_at_the_same_size(tmp_path):
    manifest = run_folder.claim(tmp_path)
    manifest.write_json(run_folder.LOG_FILE, a_log(3.0))
    Vocab(list("abdab")).save(tmp_path / run_folder.VOCAB_FILE)  # three tokens, other ones
    with pytest.raises(CommandError, match="is not the vocabulary this run was trained with"):
        run_folder.open_folder(tmp_path)
    VOCAB.save(tmp_path / run_folder.VOCAB_FILE)
    assert run_folder.open_folder(tmp_path)[1].idx_to_token == VOCAB.idx_to_token


def test_open_folder_refuses_a_file(tmp_path):
    path = tmp_path / "model.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match="is not a folder: give the --out of rnnkit train"):
        run_folder.open_folder(path)
