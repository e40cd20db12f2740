"""The command line's model commands: train, resume, generate, evaluate, and their errors."""

import io
import json
import re
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import keras
import numpy as np
import pytest

from rnnkit import cli
from rnnkit.cli import commands, entry, memory, progress, run_folder, text_input
from rnnkit.data import text
from rnnkit.data.vocab import Vocab
from rnnkit.lm import evaluate_perplexity, generation, training

# A few hundred characters of made-up sentences: 23 distinct characters, letters and spaces.
SENTENCES = (
    "a small cat sat on a warm mat while the old dog ran past the red barn. "
    "the farmer fed the hens, and the cat watched the birds fly over the hill. "
)
TEXT = SENTENCES * 4
TINY = ["--hidden", "8", "--batch-size", "4", "--num-steps", "10", "--epochs", "2"]
EPOCH_LINE = re.compile(
    r"^epoch (\d+)/2  loss \d+\.\d{4}  perplexity \d+\.\d{3}  valid perplexity \d+\.\d{3}  "
    r"\d+\.\ds$"
)


class Terminal(io.StringIO):
    """Captured output that claims to be a terminal."""

    def isatty(self):
        return True


def run(*argv, stdout=None):
    """``cli.main(argv)`` in this process; return ``(status, stdout, stderr)``."""
    out, err = stdout or io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = cli.main([str(arg) for arg in argv])
        except SystemExit as exit:  # argparse's mistakes
            status = exit.code
    return status, out.getvalue(), err.getvalue()


def assert_user_error(result, *fragments):
    """Exit status 2 and one line ``rnnkit: error: ...`` naming every fragment, no traceback."""
    status, _, err = result
    assert status == 2, err
    assert err.startswith("rnnkit: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def weights(folder):
    return keras.saving.load_model(folder / run_folder.MODEL_FILE).get_weights()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "sentences.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    """A 2-epoch run, not interrupted: its folder and what train printed."""
    out = tmp_path_factory.mktemp("trained") / "run"
    status, stdout, stderr = run("train", "--data", data, *TINY, "--out", out)
    assert status == 0, stderr
    return out, stdout


def test_the_console_stays_quiet_while_tensorflow_loads(trained, tmp_path):
    out, _ = trained
    command = [sys.executable, "-m", "rnnkit", "evaluate", "--run", str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # TensorFlow's native start-up lines (absl, oneDNN, CUDA) never reach the console ...
    assert done.stderr == "", done.stderr
    assert done.stdout.startswith("validation perplexity ")
    # ... while rnnkit's own messages still do.
    command[-1] = str(tmp_path / "missing")
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("rnnkit: error: "), done.stderr


# --- train ---------------------------------------------------------------------------------


def test_train_writes_the_model_vocabulary_and_log(trained, data):
    out, _ = trained
    chars = list(text.clean(TEXT))
    vocab = Vocab.load(out / run_folder.VOCAB_FILE)
    assert vocab == Vocab(chars)
    log = json.loads((out / run_folder.LOG_FILE).read_text())
    assert log["finished"] is True
    assert log["args"]["hidden"] == 8 and log["args"]["data"] == str(data)
    assert [entry["epoch"] for entry in log["epochs"]] == [1, 2]
    assert log["epochs"][1]["loss"] < log["epochs"][0]["loss"]
    assert log["best_epoch"] == 2  # the loss still falls after two epochs
    assert log["best_valid_perplexity"] == log["epochs"][-1]["valid_perplexity"]
    sizes = log["train_characters"], log["valid_characters"], log["test_characters"]
    assert sum(sizes) == len(chars) and sizes[1] == sizes[2] == round(0.1 * len(chars))
    model = keras.saving.load_model(out / run_folder.MODEL_FILE)
    assert model.vocab_size == len(vocab)
    # The final number is the fair protocol's, recomputed here from the saved files.
    ids = np.asarray(vocab[chars])
    train_ids = ids[: log["train_characters"]]
    valid_ids = ids[log["train_characters"] : log["train_characters"] + log["valid_characters"]]
    fair = evaluate_perplexity(model, valid_ids, history=train_ids)
    assert fair == pytest.approx(log["best_valid_perplexity"], rel=1e-5)
    assert not list(out.glob(".*")), "a temporary file was left behind"


def test_progress_without_a_terminal_is_one_line_per_epoch(trained):
    _, stdout = trained
    lines = stdout.splitlines()
    assert "\r" not in stdout
    assert lines[0].startswith("training a gru (1 layer of 8 units")
    assert [EPOCH_LINE.match(line).group(1) for line in lines[1:3]] == ["1", "2"]
    assert lines[3].startswith("best validation perplexity ")
    assert len(lines) == 4


def test_an_interrupted_run_resumes_as_if_never_stopped(tmp_path, trained, data, monkeypatch):
    straight, _ = trained
    out = tmp_path / "run"
    argv = ("train", "--data", data, *TINY, "--out", out)
    first_epoch_end = progress.Progress.epoch_end

    def interrupt_after_epoch_1(self, entry):
        first_epoch_end(self, entry)
        if entry["epoch"] == 1:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(progress.Progress, "epoch_end", interrupt_after_epoch_1)
        status, stdout, stderr = run(*argv)
    assert status == 130
    assert "interrupted; " in stderr and "keeps its 1 finished epoch; rerun the same" in stderr
    assert "epoch 2/2" not in stdout
    log = json.loads((out / run_folder.LOG_FILE).read_text())
    assert log["finished"] is False and len(log["epochs"]) == 1

    status, stdout, stderr = run(*argv)
    assert status == 0, stderr
    assert f"resuming {out} after epoch 1" in stdout
    assert "epoch 1/2" not in stdout and EPOCH_LINE.match(stdout.splitlines()[2])
    for ours, theirs in zip(weights(out), weights(straight), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    resumed = json.loads((out / run_folder.LOG_FILE).read_text())
    expected = json.loads((straight / run_folder.LOG_FILE).read_text())
    assert [e["loss"] for e in resumed["epochs"]] == [e["loss"] for e in expected["epochs"]]
    assert [e["valid_perplexity"] for e in resumed["epochs"]] == [
        e["valid_perplexity"] for e in expected["epochs"]
    ]

    # A finished run is left alone; other arguments or fewer epochs are refused.
    before = (out / run_folder.MODEL_FILE).stat().st_mtime_ns
    status, stdout, _ = run(*argv)
    assert status == 0
    assert "already holds a finished run of 2 epochs" in stdout and "nothing to do" in stdout
    assert (out / run_folder.MODEL_FILE).stat().st_mtime_ns == before
    changed = [*argv[:-4], "--hidden", "16", "--cell", "lstm", *argv[-4:]]
    assert_user_error(run(*changed), "other arguments", "--hidden 16, not 8", "--cell 'lstm'")
    fewer = [*argv[:-2], "--epochs", "1", "--out", out]
    assert_user_error(run(*fewer), "already holds 2 epochs, more than --epochs 1", "--force")


def test_force_starts_afresh_and_a_terminal_gets_a_moving_bar(tmp_path, trained, data):
    out = tmp_path / "run"
    shutil.copytree(trained[0], out)
    screen = Terminal()
    argv = ("train", "--data", data, *TINY[:-2], "--epochs", "1", "--hidden", "6")
    status, stdout, stderr = run(*argv, "--out", out, "--force", stdout=screen)
    assert status == 0, stderr
    bar, _, rest = stdout.partition("\n")[2].partition("\n")
    assert bar.startswith("\repoch 1/1 [") and "about" in bar
    assert re.search(r"\] \d+/\d+  loss \d+\.\d{4}  perplexity \d+\.\d{3}  ", bar)
    assert re.search(r"\repoch 1/1  loss \d+\.\d{4}  perplexity", bar)
    assert rest.startswith("best validation perplexity")
    log = json.loads((out / run_folder.LOG_FILE).read_text())
    assert log["args"]["hidden"] == 6 and len(log["epochs"]) == 1
    assert [p.name for p in (out / run_folder.CHECKPOINT_DIR).glob("ckpt-*.index")] == [
        "ckpt-1.index"
    ]


def test_a_diverged_run_ends_with_one_line_and_status_1(tmp_path, data, monkeypatch):
    def diverge(*args, **kwargs):
        raise training.TrainingDivergedError(epoch=1, step=3, last_loss=2.5)

    monkeypatch.setattr(training, "train_custom", diverge)
    status, _, err = run("train", "--data", data, *TINY, "--lr", "1e9", "--out", tmp_path / "run")
    assert status == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("rnnkit: error: training diverged at epoch 1, step 3")
    assert "lower --lr (now 1e+09" in err and "no epoch was kept" in err


def test_bidirectional_is_refused_with_the_reason(tmp_path, data):
    result = run("train", "--data", data, "--bidirectional", "--out", tmp_path / "bi")
    assert_user_error(result, "--bidirectional is refused", "t + 1", "cannot generate")
    assert not (tmp_path / "bi").exists()


# --- generate and evaluate -----------------------------------------------------------------


def test_generate_continues_the_prefix(trained):
    out, _ = trained
    argv = ("generate", "--run", out, "--num-tokens", "30")
    status, stdout, stderr = run(*argv, "--prefix", "The cat")
    assert status == 0 and stderr == ""
    text = stdout.rstrip("\n")
    assert text.startswith("the cat") and len(text) == len("the cat") + 30
    model = keras.saving.load_model(out / run_folder.MODEL_FILE)
    vocab = Vocab.load(out / run_folder.VOCAB_FILE)
    assert text == generation.generate(model, vocab, "the cat", 30)
    sampled = [run(*argv, "--strategy", "top-k", "--top-k", "3", "--seed", s)[1] for s in (1, 1, 2)]
    assert sampled[0] == sampled[1] != sampled[2]


def test_generate_warns_about_unknown_prefix_characters(trained):
    status, stdout, stderr = run("generate", "--run", trained[0], "--prefix", "the cat!")
    assert status == 0 and stdout.startswith("the cat!")
    assert stderr.startswith("rnnkit: warning: prefix characters ['!']")


def test_evaluate_prints_the_fair_validation_perplexity(trained):
    out, _ = trained
    log = json.loads((out / run_folder.LOG_FILE).read_text())
    status, stdout, stderr = run("evaluate", "--run", out)
    assert status == 0, stderr
    pattern = r"validation perplexity (\d+\.\d{4}) on the 10% of .* before its test part"
    printed = float(re.match(pattern, stdout)[1])
    assert printed == pytest.approx(log["best_valid_perplexity"], abs=1e-4)
    status, other, _ = run("evaluate", "--run", out, "--valid-fraction", "0.3")
    assert status == 0 and "on the 30% of" in other and other != stdout
    # The test part is scored after the training and validation text, by the same protocol.
    status, test, _ = run("evaluate", "--run", out, "--split", "test")
    assert status == 0 and test.startswith("test perplexity ") and "on the last 10% of" in test
    model = keras.saving.load_model(out / run_folder.MODEL_FILE)
    vocab = Vocab.load(out / run_folder.VOCAB_FILE)
    ids = np.asarray(vocab[list(text.clean(TEXT))], dtype=np.int32)
    split = log["train_characters"] + log["valid_characters"]
    fair = evaluate_perplexity(model, ids[split:], history=ids[:split])
    printed = float(re.match(r"test perplexity (\d+\.\d{4})", test)[1])
    assert printed == pytest.approx(fair, abs=1e-4)


# --- mistakes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--hidden", "0", "an integer >= 1"),
        ("--layers", "-1", "an integer >= 1"),
        ("--epochs", "0", "an integer >= 1"),
        ("--batch-size", "0", "an integer >= 1"),
        ("--lr", "0", "a finite number > 0"),
        ("--clip", "-1", "a finite number > 0"),
        ("--lr", "nan", "a finite number > 0"),
        ("--hidden", "many", "an integer >= 1"),
        ("--hidden", "2.5", "an integer >= 1"),
        ("--valid-fraction", "1", "a finite number in (0, 1)"),
        ("--dropout", "1", "a finite number in [0, 1)"),
    ],
)
def test_impossible_sizes_are_refused(tmp_path, option, value, allowed):
    result = run("train", option, value, "--out", tmp_path / "run")
    assert_user_error(result, f"argument {option}: must be {allowed}, got '{value}'")
    assert not (tmp_path / "run").exists()


def test_a_batch_larger_than_the_data_is_refused(tmp_path, data):
    argv = ("train", "--data", data, "--batch-size", "64", "--num-steps", "35")
    assert_user_error(run(*argv, "--out", tmp_path / "run"), "--batch-size 64 x --num-steps 35")
    assert not (tmp_path / "run").exists()


def test_an_out_that_is_a_file_is_refused(tmp_path, data):
    for force in ([], ["--force"]):
        assert_user_error(run("train", "--data", data, "--out", data, *force), "is a file")
    assert data.read_text(encoding="utf-8") == TEXT


def test_dropout_needs_stacked_layers(tmp_path, data):
    argv = ("train", "--data", data, "--dropout", "0.2", "--out", tmp_path / "run")
    assert_user_error(run(*argv), "--dropout 0.2", "--layers 2")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"text\x00with a NUL", "NUL bytes"),
        ("text".encode("utf-16-le"), "looks like UTF-16LE text without a byte-order mark"),
        ("caf\u00e9 au lait".encode("latin-1"), "not UTF-8 text (byte 0xe9 at offset 3)"),
        (b"1234 5678 ... !!!", "holds no text once cleaned"),
    ],
)
def test_unusable_input_files_are_refused(tmp_path, content, fragment):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    result = run("train", "--data", path, "--out", tmp_path / "run")
    assert_user_error(result, f"--data {path}", fragment)


def test_an_unknown_data_set_lists_the_known_ones(tmp_path):
    result = run("train", "--data", "no-such-corpus", "--out", tmp_path / "run")
    assert_user_error(result, "'no-such-corpus' is neither a file nor", "timemachine")


def test_a_missing_model_folder_is_refused(tmp_path):
    assert_user_error(run("generate", "--run", tmp_path / "nowhere"), "no such folder")
    assert_user_error(run("evaluate", "--run", tmp_path / "nowhere"), "rnnkit train --out")


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda out: (out / "vocab.json").unlink(), "vocab.json is missing"),
        (
            lambda out: (out / "vocab.json").write_text("{not json"),
            "not a valid rnnkit vocabulary file",
        ),
        (lambda out: (out / "model.keras").write_bytes(b"\x00" * 64), "model.keras is damaged"),
        (lambda out: (out / "training_log.json").write_text("[]"), "not an rnnkit training log"),
    ],
)
def test_a_damaged_model_folder_is_refused(tmp_path, trained, damage, fragment):
    out = tmp_path / "run"
    shutil.copytree(trained[0], out)
    damage(out)
    assert_user_error(run("generate", "--run", out, "--prefix", "the"), fragment)
    assert_user_error(run("evaluate", "--run", out), fragment)


def test_a_prefix_of_unknown_characters_is_refused(trained):
    result = run("generate", "--run", trained[0], "--prefix", "123!?")
    assert_user_error(result, "--prefix '123!?': none of its characters", "' abcdefgh")
    too_many = run("generate", "--run", trained[0], "--strategy", "top-k", "--top-k", "99")
    assert_user_error(too_many, "--top-k 99 is larger than the vocabulary")


# --- the pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "layers", "scratch", "embedding_dim"),
    [("lstm", 1, False, None), ("gru", 2, True, 4), ("rnn", 3, False, None)],
)
def test_build_model_makes_the_requested_recurrent_layers(cell, layers, scratch, embedding_dim):
    dropout = 0.1 if layers > 1 else 0.0
    model = commands.build_model(cell, layers, 5, 7, embedding_dim, dropout, scratch)
    model.zero_state(2)
    inner = model.rnn.rnn_layers if layers > 1 else [model.rnn]
    assert len(inner) == layers and all(layer.cell.units == 5 for layer in inner)
    expected = {"rnn": "RNNCell", "gru": "GRUCell", "lstm": "LSTMCell"}[cell]
    names = {type(layer.cell).__name__ for layer in inner}
    assert names == {expected if scratch else expected.replace("RNN", "SimpleRNN")}
    assert all(type(layer.cell).__module__ == "rnnkit.layers.cells" for layer in inner) == scratch
    assert model.encoding == ("one_hot" if embedding_dim is None else "embedding")
    assert model.is_causal
    assert model(np.zeros((2, 3), dtype=np.int32)).shape == (2, 3, 7)


@pytest.mark.parametrize("cell", commands.CELLS)
@pytest.mark.parametrize(("layers", "embedding_dim"), [(1, None), (3, 6)])
def test_the_weight_count_without_building_is_exact(cell, layers, embedding_dim):
    model = commands.build_model(cell, layers, 9, 11, embedding_dim, 0.0, False)
    model.zero_state(1)
    assert memory.weight_count(cell, layers, 9, 11, embedding_dim) == model.count_params()


def test_the_offered_choices_match_the_library():
    assert set(commands.OPTIMIZERS) == set(training.OPTIMIZERS)
    assert commands.STRATEGIES == generation.STRATEGIES


def test_the_console_entry_point_answers_without_loading_tensorflow(tmp_path):
    probe = (
        "import sys; from rnnkit.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('tensorflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "train", "--help"], capture_output=True, text=True
    )
    assert done.stdout.rstrip().endswith("False") and "--bidirectional" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "rnnkit", "train", "--lr", "-2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "rnnkit: error: argument --lr: must be a finite number > 0, got '-2' "
        "(see 'rnnkit train --help')\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "rnnkit", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert all(name in done.stdout for name in ("train", "generate", "evaluate", "grade"))


def test_data_sets_are_found_by_name_before_files():
    text, source = text_input.load_data("timemachine")
    assert source == "timemachine" and len(text) > 100_000
    assert Path(text_input.load_data(__file__)[1]) == Path(__file__).resolve()


def test_a_bug_is_one_line_and_its_traceback_goes_to_a_file(trained, monkeypatch):
    def broken(args):
        raise RuntimeError("an rnnkit bug")

    monkeypatch.setitem(entry.COMMANDS, "evaluate", broken)
    status, _, err = run("evaluate", "--run", trained[0])
    assert status == 70 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("rnnkit: internal error (RuntimeError: an rnnkit bug)")
    saved = Path(re.search(r"the traceback is in (\S+):", err)[1])
    assert "Traceback" in saved.read_text() and "an rnnkit bug" in saved.read_text()
    saved.unlink()
