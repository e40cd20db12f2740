"""A run killed (SIGKILL) at random instants and resumed each time ends as an uninterrupted one.

The instants are drawn from a seeded generator: a quarter during start-up, the others anywhere
in the epoch under way or the next (its batches, its validation, its checkpoint and the writes
that follow). After every kill the folder holds only rnnkit's files, and the final log has
every epoch with a finite validation perplexity and exactly the numbers of the uninterrupted
run; the saved model is the same.
"""

import json
import random
import signal
import time

import numpy as np
from cli_cases import TINY, files_in, made_up_text, rnnkit, start

from rnnkit.cli import run_folder

EPOCHS = 8
KILLS = 10


def test_kills_at_random_instants_lose_no_finished_epoch(tmp_path):
    data = tmp_path / "river.txt"
    data.write_text(made_up_text(16_000, seed=3), encoding="utf-8")
    argv = ("train", "--data", data, *TINY, "--epochs", EPOCHS)
    straight = start(*argv, "--out", tmp_path / "straight")
    began = time.perf_counter()
    straight.stdout.readline()  # "training a gru ...": start-up is over
    start_up = time.perf_counter() - began
    _, err = straight.communicate()
    assert straight.returncode == 0, err
    training = time.perf_counter() - began - start_up

    out = tmp_path / "killed"
    rng = random.Random(0)
    kept = []
    epoch_s = training / EPOCHS
    for kill in range(KILLS):
        process = start(*argv, "--out", out)
        if kill % 4 == 0:  # during start-up (reading the data, claiming the folder, imports)
            time.sleep(rng.uniform(0, start_up))
        else:  # somewhere in the next epoch or the one after: training, validation, the writes
            process.stdout.readline()  # "training a gru ...": the first epoch begins
            epochs_to_pass = int(rng.random() < 0.3)
            while epochs_to_pass:
                line = process.stdout.readline()
                if not line:
                    break  # the run finished
                epochs_to_pass -= line.startswith("epoch ")
            time.sleep(rng.uniform(0, epoch_s))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        if out.exists():  # every file there is one rnnkit wrote, complete
            assert run_folder.Manifest.read(out).foreign() == []
        log = out / run_folder.LOG_FILE
        kept.append(len(json.loads(log.read_text())["epochs"]) if log.exists() else 0)
    print("epochs kept after each kill:", kept)
    # Some kills came after an epoch was kept and before the last: the resumes resumed.
    assert any(0 < n < EPOCHS for n in kept), kept
    resumed = rnnkit(*argv, "--out", out)
    assert resumed.returncode == 0, resumed.stderr

    ours = json.loads((out / run_folder.LOG_FILE).read_text())
    theirs = json.loads((tmp_path / "straight" / run_folder.LOG_FILE).read_text())
    assert [e["epoch"] for e in ours["epochs"]] == list(range(1, EPOCHS + 1))
    for key in ("loss", "perplexity", "valid_perplexity"):
        assert [e[key] for e in ours["epochs"]] == [e[key] for e in theirs["epochs"]], key
    assert all(np.isfinite(e["valid_perplexity"]) for e in ours["epochs"])
    assert ours["best_epoch"] == theirs["best_epoch"] and ours["finished"]
    mine, straight_model = (
        run_folder.load_model(*run_folder.open_folder(folder)[:2])
        for folder in (out, tmp_path / "straight")
    )
    for a, b in zip(mine.get_weights(), straight_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # Nothing a kill left behind stays: the temporary files are gone once the run goes on.
    assert not [name for name in files_in(out) if name.split("/")[-1].startswith(".")]
