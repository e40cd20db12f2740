"""What the subprocess tests of the command line share: a text, a runner, the checks on output.

The text is made up here (never The Time Machine): pseudo-English from a small word list, with
punctuation and line breaks, drawn from a seeded generator so that every run sees the same one.
Each command runs as a user would run it, ``python -m rnnkit ...`` in a fresh process, with
none of the test session's TensorFlow settings in its environment.
"""

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

WORDS = (
    "the river ran past a mill where an old miller kept bees and a grey cat slept by the "
    "door while children sang songs about boats lanterns and the long road home"
).split()
# Tiny sizes: a few hundred milliseconds an epoch on a laptop CPU.
TINY = ["--hidden", "16", "--batch-size", "8", "--num-steps", "16"]


def made_up_text(characters: int, seed: int = 0) -> str:
    """About ``characters`` characters of sentences, with commas, full stops and line breaks."""
    rng = random.Random(seed)
    lines, size = [], 0
    while size < characters:
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 12))]
        line = " ".join(words).capitalize() + rng.choice([".", ",", "!", "?"])
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def environment(**extra) -> dict:
    """A user's environment: no TensorFlow log settings, no test-session variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PYTEST"))}
    return env | extra


def rnnkit(*argv, timeout=300, env=None, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m rnnkit argv...`` to the end; return what it printed and its status."""
    command = [sys.executable, "-m", "rnnkit", *map(str, argv)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env or environment(), **kwargs
    )


def _as_from_a_terminal() -> None:
    """In the child, before exec: let Ctrl-C reach it, as it does a command typed at a prompt.

    A shell without job control starts background commands with SIGINT ignored, and a program
    inherits that; Python then leaves it ignored (rightly: that is how ``nohup`` works). CI may run
    the tests so, and an interrupt test would then see the command run to its end.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*argv, env=None, **kwargs) -> subprocess.Popen:
    """Start ``python -m rnnkit argv...`` with its output piped, for a test to interrupt."""
    command = [sys.executable, "-m", "rnnkit", *map(str, argv)]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or environment(),
        preexec_fn=_as_from_a_terminal,
        **kwargs,
    )


def one_error_line(done, status=2, *fragments) -> str:
    """Check that ``done`` ended with ``status`` and one ``rnnkit: error:`` line; return it."""
    err = done.stderr
    assert done.returncode == status, (done.returncode, err)
    assert err.startswith("rnnkit: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted relative paths."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def text_file(tmp_path_factory, characters: int, seed: int = 0, name: str = "river.txt") -> Path:
    """A fresh file of :func:`made_up_text` (for a module-scoped fixture)."""
    path = tmp_path_factory.mktemp("data") / name
    path.write_text(made_up_text(characters, seed=seed), encoding="utf-8")
    return path


def trained_run(tmp_path_factory, data: Path, *more) -> tuple[Path, subprocess.CompletedProcess]:
    """A run folder trained on ``data`` with :data:`TINY` sizes (one epoch unless ``more``
    says otherwise), and what ``rnnkit train`` printed."""
    out = tmp_path_factory.mktemp("trained") / "run"
    done = rnnkit("train", "--data", data, *TINY, "--epochs", "1", *more, "--out", out)
    assert done.returncode == 0, done.stderr
    return out, done
