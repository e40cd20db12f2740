"""``rnnkit train`` deletes or replaces only files it wrote itself, --force included."""

import json

import pytest
from cli_cases import TINY, files_in, one_error_line, rnnkit, text_file

OWN = ["manifest.json", "model.keras", "training_log.json", "vocab.json"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return text_file(tmp_path_factory, 12_000)


def train(data, out, *more):
    return rnnkit("train", "--data", data, *TINY, "--epochs", "1", "--out", out, *more)


def test_a_folder_with_a_users_files_is_refused_with_or_without_force(tmp_path, data):
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / "my-model.h5").write_bytes(b"a week of training")
    (out / "vocab.json").write_text('{"mine": true}')
    (out / "notes.txt").write_text("do not delete")
    before = {name: (out / name).read_bytes() for name in files_in(out)}
    for force in ([], ["--force"]):
        err = one_error_line(train(data, out, *force), 2, "rnnkit did not write")
        assert "checkpoints/, notes.txt, vocab.json" in err and "--force included" in err
    assert {name: (out / name).read_bytes() for name in files_in(out)} == before


def test_force_replaces_rnnkits_own_files_only_after_checking_them(tmp_path, data):
    out = tmp_path / "run"
    assert train(data, out).returncode == 0
    first = json.loads((out / "training_log.json").read_text())
    done = train(data, out, "--hidden", "12", "--force")
    assert done.returncode == 0, done.stderr
    log = json.loads((out / "training_log.json").read_text())
    assert log["args"]["hidden"] == 12 != first["args"]["hidden"]
    assert [name for name in files_in(out) if "/" not in name] == OWN
    # A file rnnkit wrote and the user then changed is the user's now: nothing is replaced.
    (out / "model.keras").write_bytes(b"my edited model")
    err = one_error_line(train(data, out, "--force"), 2, "model.keras", "(or that changed since)")
    assert "choose another --out" in err
    assert (out / "model.keras").read_bytes() == b"my edited model"


def test_a_run_that_finished_no_epoch_never_blocks_the_next(tmp_path, data):
    out = tmp_path / "run"
    done = train(data, out, "--lr", "1e6")  # diverges in its first epoch
    one_error_line(done, 1, "training diverged")
    done = train(data, out, "--lr", "0.01")  # other arguments, no --force needed
    assert done.returncode == 0, done.stderr
