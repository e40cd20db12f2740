"""What a run folder means to generate and evaluate: its best epoch, its own vocabulary, its data
(by hash, wherever it lies), and one meaning per option across the commands."""

import json
import re
import shutil

import pytest
from cli_cases import TINY, one_error_line, rnnkit, text_file, trained_run

from rnnkit.cli import run_folder
from rnnkit.data.vocab import Vocab

EPOCHS = 6


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return text_file(tmp_path_factory, 12_000, seed=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    # A learning rate at which validation stops improving before the last epoch.
    out, _ = trained_run(tmp_path_factory, data, "--epochs", EPOCHS, "--lr", "0.05")
    return out, json.loads((out / run_folder.LOG_FILE).read_text())


def _printed_perplexity(done):
    assert done.returncode == 0, done.stderr
    return float(re.search(r"perplexity (\d+\.\d{4})", done.stdout)[1])


def test_the_saved_model_is_the_best_validation_epoch(trained):
    out, log = trained
    valid = [entry["valid_perplexity"] for entry in log["epochs"]]
    assert log["best_epoch"] == valid.index(min(valid)) + 1
    assert log["best_valid_perplexity"] == min(valid)
    scored = _printed_perplexity(rnnkit("evaluate", "--run", out))
    assert scored == pytest.approx(min(valid), abs=1e-4)
    if log["best_epoch"] < EPOCHS:  # then the model is not the last epoch's
        assert scored != pytest.approx(valid[-1], abs=1e-4)


def test_a_vocabulary_of_another_run_is_refused_even_at_the_same_size(tmp_path, trained):
    out = tmp_path / "run"
    shutil.copytree(trained[0], out)
    vocab = Vocab.load(out / run_folder.VOCAB_FILE)
    tokens = [t for t in vocab.idx_to_token if len(t) == 1]
    swapped = "".join(reversed(tokens))  # the same characters, other ids
    Vocab(list(swapped * 2)).save(out / run_folder.VOCAB_FILE)
    assert len(Vocab.load(out / run_folder.VOCAB_FILE)) == len(vocab)
    for command in ("generate", "evaluate"):
        one_error_line(rnnkit(command, "--run", out), 2, "not the vocabulary this run was trained")


def test_resuming_finds_the_data_by_its_hash_not_its_path(tmp_path, data):
    moved = tmp_path / "elsewhere" / "same.txt"
    moved.parent.mkdir()
    shutil.copy(data, moved)
    out = tmp_path / "run"
    argv = ("train", *TINY, "--out", out)
    assert rnnkit(*argv, "--data", data, "--epochs", "1").returncode == 0
    done = rnnkit(*argv, "--data", moved, "--epochs", "2")
    assert done.returncode == 0 and f"resuming {out} after epoch 1" in done.stdout, done.stderr
    assert json.loads((out / run_folder.LOG_FILE).read_text())["args"]["data"] == str(moved)
    moved.write_text(data.read_text() + "one more line\n")
    err = one_error_line(rnnkit(*argv, "--data", moved, "--epochs", "3"), 2, "other text than")
    assert "--force" in err


def test_keep_punctuation_keeps_line_breaks(tmp_path, data):
    out = tmp_path / "run"
    argv = ("train", "--data", data, *TINY, "--epochs", "1", "--keep-punctuation", "--out", out)
    assert rnnkit(*argv).returncode == 0
    vocab = Vocab.load(out / run_folder.VOCAB_FILE)
    assert "\n" in vocab.idx_to_token and "," in vocab.idx_to_token


def test_one_meaning_per_option_and_the_old_spellings_still_work(tmp_path, data, trained):
    out = tmp_path / "run"
    done = rnnkit("train", "--data", data, *TINY, "--epochs", "1", "--model", "lstm", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "rnnkit: warning: --model is deprecated here; use --cell\n"
    assert json.loads((out / run_folder.LOG_FILE).read_text())["args"]["cell"] == "lstm"
    old = rnnkit("evaluate", "--model", trained[0])
    assert old.stderr.startswith("rnnkit: warning: --model is deprecated here; use --run")
    assert _printed_perplexity(old) == _printed_perplexity(rnnkit("evaluate", "--run", trained[0]))


def test_evaluate_scores_another_text_and_reports_unknown_characters(tmp_path, trained):
    other = tmp_path / "other.txt"
    other.write_text("The quick brown fox jumps over the lazy dog. " * 40, encoding="utf-8")
    done = rnnkit("evaluate", "--run", trained[0], "--data", other, "--split", "all")
    assert _printed_perplexity(done) > 1
    assert done.stdout.startswith("whole-text perplexity ") and f"all of {other}" in done.stdout
    warning = r"rnnkit: warning: [\d,]+ of the [\d,]+ characters .* \(\d+ distinct: '[a-z]+'\)"
    assert re.match(warning, done.stderr), done.stderr


def test_num_tokens_has_a_ceiling_that_help_names(trained):
    assert "at most 100,000" in rnnkit("generate", "--help").stdout
    done = rnnkit("generate", "--run", trained[0], "--num-tokens", "100001")
    assert done.returncode == 2 and "--num-tokens: must be an integer" in done.stderr
