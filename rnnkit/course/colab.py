"""The first two cells of every chapter notebook: an "Open in Colab" badge and a setup cell.

Both are built from one setting, the ``Repository`` entry of ``[project.urls]`` in
``pyproject.toml`` (a fork changes that line and rebuilds the notebooks). The setup cell does
nothing outside Colab; in Colab it installs rnnkit from the repository together with the
tensorflow-text release that matches Colab's own TensorFlow, so that pip keeps Colab's
TensorFlow and Keras instead of replacing them. This module never imports TensorFlow.
"""

import importlib.metadata
import re
import tomllib
from pathlib import Path

BADGE_ID, SETUP_ID = "colab-badge", "colab-setup"
BRANCH = "main"
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
_GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")

SETUP_CODE = """\
# In Colab, install rnnkit, the workbook's helper package; everywhere else this does nothing.
import importlib.metadata
import subprocess
import sys

if "google.colab" in sys.modules:
    # tensorflow-text must match TensorFlow's version; asking for the one that matches Colab's
    # TensorFlow keeps pip from replacing it.
    tf_version = ".".join(importlib.metadata.version("tensorflow").split(".")[:2])
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "rnnkit @ git+{url}",
         f"tensorflow-text=={{tf_version}}.*"],
        check=True,
    )"""


def repository_url() -> str:
    """The GitHub URL of the workbook (``[project.urls] Repository`` of pyproject.toml)."""
    if _PYPROJECT.is_file():  # a checkout: the file itself, in case the install is older
        urls = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8"))["project"].get("urls", {})
        url = urls.get("Repository", "")
    else:
        entries = importlib.metadata.metadata("rnnkit").get_all("Project-URL") or []
        url = next((e.split(",", 1)[1].strip() for e in entries if e.startswith("Repository")), "")
    if not _GITHUB.match(url):
        raise ValueError(
            f"[project.urls] Repository in pyproject.toml must be a GitHub repository URL such as "
            f"https://github.com/owner/name, got {url!r}"
        )
    return url


def badge_markdown(chapter: str) -> str:
    """Markdown for the "Open in Colab" badge of ``chapters/<chapter>.ipynb``."""
    owner, name = _GITHUB.match(repository_url()).groups()
    target = f"https://colab.research.google.com/github/{owner}/{name}/blob/{BRANCH}/chapters"
    image = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({image})]({target}/{chapter}.ipynb)"


def preamble_cells(chapter: str) -> list:
    """The badge (markdown) and setup (code) cells that open every chapter notebook."""
    import nbformat

    badge = nbformat.v4.new_markdown_cell(badge_markdown(chapter), id=BADGE_ID)
    setup = nbformat.v4.new_code_cell(SETUP_CODE.format(url=repository_url()), id=SETUP_ID)
    return [badge, setup]
