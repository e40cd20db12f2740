"""The Colab badge and setup cell come from one setting and do nothing outside Colab."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from rnnkit.course import colab

ROOT = Path(__file__).resolve().parents[2]


def test_badge_and_install_come_from_the_repository_setting():
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert colab.repository_url() == url
    owner_name = url.removeprefix("https://github.com/")
    badge, setup = colab.preamble_cells("05_gru")
    assert badge.cell_type == "markdown" and setup.cell_type == "code"
    assert re.fullmatch(
        r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
        rf"\(https://colab\.research\.google\.com/github/{re.escape(owner_name)}/blob/main/"
        r"chapters/05_gru\.ipynb\)",
        badge.source,
    )
    assert f"rnnkit @ git+{url}" in setup.source


def test_setup_cell_does_nothing_outside_colab(tmp_path):
    _, setup = colab.preamble_cells("05_gru")
    # Run it with a pip that would fail loudly if it were called.
    script = "import subprocess\nsubprocess.run = None\n" + setup.source
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_setup_cell_in_colab_keeps_tensorflow(tmp_path):
    _, setup = colab.preamble_cells("05_gru")
    # Pretend to be Colab and record the pip command instead of running it.
    script = (
        "import sys, types, subprocess, importlib.metadata\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        "importlib.metadata.version = lambda name: '2.19.1'\n"
        "calls = []\n"
        "subprocess.run = lambda args, check: calls.append(args)\n"
        + setup.source
        + "\nprint(calls[0][-2:])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "tensorflow-text==2.19.*" in done.stdout and "rnnkit @ git+" in done.stdout


def test_setup_cell_is_valid_python():
    _, setup = colab.preamble_cells("01_sequence_models")
    compile(setup.source, "setup", "exec")
    assert setup.source.startswith("# In Colab, install rnnkit")
