"""Nothing a user can do ends in a traceback: bad input, bad paths, memory, Ctrl-C, pipes, NaN.

Every case runs the real command line in a fresh process and checks its exit status and that
it printed one line that says what to do.
"""

import json
import signal
import time

import pytest
from cli_cases import TINY, files_in, one_error_line, rnnkit, start, text_file, trained_run

from rnnkit.cli import run_folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return text_file(tmp_path_factory, 12_000, seed=1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data):
    return trained_run(tmp_path_factory, data)[0]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b"... !!! ??? 1234, 5678; -- ()", "--keep-punctuation to keep every character"),
        ("Ceci n'est pas".encode("utf-16"), "is too large for the"),  # decoded: only 14 chars
        ("plain text".encode("utf-16-be"), "looks like UTF-16BE text without a byte-order mark"),
        (bytes(range(256)) * 4, "holds NUL bytes: it is a binary file"),
        ("caf\u00e9".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset 3)"),
    ],
    ids=["0 bytes", "punctuation", "UTF-16 with BOM", "UTF-16 no BOM", "binary", "latin-1"],
)
def test_unusable_texts_are_refused_in_one_line(tmp_path, content, fragment):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    one_error_line(rnnkit("train", "--data", path, "--out", tmp_path / "run"), 2, fragment)
    assert not (tmp_path / "run").exists()


def test_a_folder_or_an_unreadable_file_as_data_is_refused(tmp_path):
    one_error_line(rnnkit("train", "--data", tmp_path, "--out", tmp_path / "run"), 2, "a folder")
    locked = tmp_path / "locked.txt"
    locked.write_text("some text")
    locked.chmod(0)
    try:
        locked.open("rb").close()
        pytest.skip("this user reads files whatever their permissions (root)")
    except PermissionError:
        pass
    one_error_line(rnnkit("train", "--data", locked, "--out", tmp_path / "r"), 2, "cannot be read")


def test_an_out_that_cannot_be_created_is_refused(data):
    done = rnnkit("train", "--data", data, "--out", "/proc/rnnkit-cannot/run")
    one_error_line(done, 2, "--out /proc/rnnkit-cannot/run cannot be created")


def test_a_model_too_large_for_memory_is_refused_and_blocks_nothing(tmp_path, data):
    out = tmp_path / "run"
    done = rnnkit("train", "--data", data, "--hidden", "100000", "--out", out)
    err = one_error_line(done, 1, "30,009,", "weights", "GiB of memory", "smaller --hidden")
    assert "100000 units" in err
    done = rnnkit("train", "--data", data, *TINY, "--epochs", "1", "--out", out)
    assert done.returncode == 0, done.stderr


def test_a_diverging_run_stops_with_status_1_and_a_strict_json_log(tmp_path, data):
    out = tmp_path / "run"
    done = rnnkit("train", "--data", data, *TINY, "--lr", "1e6", "--epochs", "3", "--out", out)
    one_error_line(done, 1, "training diverged", "lower --lr (now 1e+06", "--clip")
    text = (out / run_folder.LOG_FILE).read_text()
    assert "Infinity" not in text and "NaN" not in text
    log = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the log"))
    assert "training diverged" in log["stopped"]["reason"] and log["finished"] is False


def test_a_damaged_model_file_is_called_damaged(tmp_path, trained):
    out = tmp_path / "run"
    out.mkdir()
    for name in files_in(trained):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes((trained / name).read_bytes())
    model = out / run_folder.MODEL_FILE
    model.write_bytes(model.read_bytes()[:500])
    for command in ("generate", "evaluate"):
        err = one_error_line(rnnkit(command, "--run", out), 2, "model.keras is damaged")
        assert "not found" not in err.lower()


def _interrupt(process, after_s):
    time.sleep(after_s)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


@pytest.mark.parametrize("after_s", [0.3, 2.0], ids=["start-up", "loading TensorFlow"])
def test_ctrl_c_during_start_up_exits_130_with_one_line(tmp_path, trained, after_s):
    status, err = _interrupt(start("evaluate", "--run", trained), after_s)
    if status == 0:
        pytest.skip("the command finished before the signal came")
    if status == -signal.SIGINT:  # before Python itself had started: killed, as any program
        assert err == ""
        return
    assert status == 130 and "Traceback" not in err, err
    assert err.strip().startswith("rnnkit: interrupted") and err.strip().count("\n") == 0, err


def test_ctrl_c_during_generate_keeps_what_was_printed(trained):
    process = start("generate", "--run", trained, "--prefix", "the ", "--num-tokens", "100000")
    shown = process.stdout.read(20)  # characters arrive while the rest is still being made
    assert shown.startswith("the ") and process.poll() is None
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in err, err
    assert err.strip() == "rnnkit: interrupted; no file was changed"


def test_a_closed_pipe_ends_generate_quietly(trained):
    process = start("generate", "--run", trained, "--num-tokens", "100000")
    process.stdout.read(10)
    process.stdout.close()  # what `rnnkit generate | head -c 10` does
    err = process.stderr.read()
    assert process.wait(timeout=120) == 141 and err == "", err
