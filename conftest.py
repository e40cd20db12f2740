"""Shared pytest setup: quiet TensorFlow logs and make the shared data folder visible."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# On developer machines and CI the Time Machine lives in ../shared/datasets (no internet there).
_SHARED = Path(__file__).resolve().parent.parent / "shared" / "datasets"
if "RNNKIT_DATA_DIR" not in os.environ and _SHARED.is_dir():
    os.environ["RNNKIT_DATA_DIR"] = str(_SHARED)
