"""Tests for rnnkit.data.datasets: lookup order, verification, downloads and error messages.

Every test but two runs against a fake registry in tmp_path with a fake download function, so no
test touches the network. One test drives the real keras.utils.get_file through a file:// URL,
and one reads the real Time Machine through RNNKIT_DATA_DIR (set by tests/conftest.py).
"""

import dataclasses
import hashlib
import json
import os

import pytest

from rnnkit.data import datasets

TOY_BYTES = "Caf\u00e9 na\u00efve text,\r\nwith two lines.\n".encode() * 20
TOY_SHA = hashlib.sha256(TOY_BYTES).hexdigest()
TOY_URL = "https://example.invalid/toy.txt"
# Captured before any fixture replaces it, for the one test that runs the real get_file.
REAL_DOWNLOAD = datasets._download
TIMEMACHINE_SHA = "8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516"


def _entry(**overrides):
    entry = {
        "name": "toy",
        "filename": "toy.txt",
        "url": TOY_URL,
        "sha256": TOY_SHA,
        "size": len(TOY_BYTES),
        "licence": "CC0",
        "description": "A tiny synthetic text.",
        "author": "The tests",
        "citation": "None needed.",
    }
    entry.update(overrides)
    return entry


def _write_registry(folder, entry):
    folder.mkdir(exist_ok=True)
    (folder / f"{entry['name']}.json").write_text(json.dumps(entry), encoding="utf-8")


class FakeDownload:
    """Stands in for the network: writes ``payload`` (or part of it) then maybe fails."""

    def __init__(self, payload=TOY_BYTES, error=None):
        self.payload = payload
        self.error = error
        self.folders = []

    def __call__(self, entry, folder):
        self.folders.append(folder)
        target = folder / entry.filename
        target.write_bytes(self.payload)
        if self.error is not None:
            raise self.error
        return target


def _no_download(entry, folder):
    raise AssertionError(f"unexpected download of {entry.name} into {folder}")


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A registry holding only 'toy', an empty cache folder, and no RNNKIT_DATA_DIR."""
    _write_registry(tmp_path / "registry", _entry())
    monkeypatch.setattr(datasets, "REGISTRY_DIR", tmp_path / "registry")
    monkeypatch.setattr(datasets, "_download", _no_download)
    monkeypatch.setenv(datasets.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    return tmp_path


def _cache_listing(root):
    cache = root / "cache"
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_real_registry_lists_the_time_machine():
    assert "timemachine" in datasets.known()
    entry = datasets.info("timemachine")
    assert entry.filename == "timemachine.txt"
    assert entry.url == "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
    assert entry.sha256 == TIMEMACHINE_SHA
    assert entry.size == 178979
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.size = 1


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(datasets.UnknownDatasetError, match="timemachine") as caught:
        datasets.path("time_machine")
    assert "'time_machine'" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_found_in_data_dir_is_read_in_place(toy, monkeypatch):
    folder = toy / "mine"
    folder.mkdir()
    (folder / "toy.txt").write_bytes(TOY_BYTES)
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(folder))
    assert datasets.path("toy") == folder / "toy.txt"
    assert datasets.load_text("toy") == TOY_BYTES.decode("utf-8")
    assert _cache_listing(toy) == []


def test_data_dir_without_the_file_falls_back_to_the_cache(toy, monkeypatch):
    (toy / "mine").mkdir()
    (toy / "cache").mkdir()
    (toy / "cache" / "toy.txt").write_bytes(TOY_BYTES)
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(toy / "mine"))
    assert datasets.path("toy") == toy / "cache" / "toy.txt"


def test_found_in_cache(toy):
    (toy / "cache").mkdir()
    (toy / "cache" / "toy.txt").write_bytes(TOY_BYTES)
    assert datasets.path("toy") == toy / "cache" / "toy.txt"
    # Decoded exactly: the CRLF and the non-ASCII letters survive.
    assert datasets.load_text("toy") == TOY_BYTES.decode("utf-8")
    assert "\r\n" in datasets.load_text("toy")


def test_downloaded_then_cached(toy, monkeypatch):
    fake = FakeDownload()
    monkeypatch.setattr(datasets, "_download", fake)
    first = datasets.path("toy")
    assert first == toy / "cache" / "toy.txt"
    assert first.read_bytes() == TOY_BYTES
    # The download went to a private temporary folder inside the cache, which is gone now.
    assert fake.folders[0].parent == toy / "cache"
    assert _cache_listing(toy) == ["toy.txt"]
    assert datasets.load_text("toy") == TOY_BYTES.decode("utf-8")
    assert len(fake.folders) == 1


def test_wrong_hash_in_data_dir_names_both_hashes_and_leaves_the_file(toy, monkeypatch):
    folder = toy / "mine"
    folder.mkdir()
    bad = TOY_BYTES[:-1] + b"!"
    (folder / "toy.txt").write_bytes(bad)
    before = os.stat(folder / "toy.txt")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(folder))
    with pytest.raises(datasets.ChecksumError) as caught:
        datasets.load_text("toy")
    message = str(caught.value)
    assert str(folder / "toy.txt") in message
    assert TOY_SHA in message
    assert hashlib.sha256(bad).hexdigest() in message
    assert TOY_URL in message
    assert (folder / "toy.txt").read_bytes() == bad
    assert os.stat(folder / "toy.txt").st_mtime_ns == before.st_mtime_ns
    assert _cache_listing(toy) == []


def test_wrong_size_in_data_dir_is_rejected(toy, monkeypatch):
    folder = toy / "mine"
    folder.mkdir()
    (folder / "toy.txt").write_bytes(TOY_BYTES + b"extra")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(folder))
    with pytest.raises(datasets.ChecksumError, match=f"{len(TOY_BYTES) + 5} bytes"):
        datasets.path("toy")


def test_wrong_hash_in_cache_is_replaced_by_a_fresh_download(toy, monkeypatch):
    (toy / "cache").mkdir()
    (toy / "cache" / "toy.txt").write_bytes(b"truncated")
    fake = FakeDownload()
    monkeypatch.setattr(datasets, "_download", fake)
    with pytest.warns(UserWarning, match=TOY_SHA):
        assert datasets.load_text("toy") == TOY_BYTES.decode("utf-8")
    assert len(fake.folders) == 1
    assert _cache_listing(toy) == ["toy.txt"]


def test_wrong_hash_in_cache_with_no_network_keeps_the_file_and_explains(toy, monkeypatch):
    (toy / "cache").mkdir()
    (toy / "cache" / "toy.txt").write_bytes(b"truncated")
    monkeypatch.setattr(datasets, "_download", FakeDownload(b"tru", OSError("no network")))
    with pytest.warns(UserWarning), pytest.raises(datasets.DatasetNotFoundError) as caught:
        datasets.path("toy")
    message = str(caught.value)
    assert str(toy / "cache" / "toy.txt") in message
    assert TOY_SHA in message
    assert hashlib.sha256(b"truncated").hexdigest() in message
    assert "delete or replace" in message
    assert (toy / "cache" / "toy.txt").read_bytes() == b"truncated"
    assert _cache_listing(toy) == ["toy.txt"]


def test_no_file_and_no_network_says_where_to_put_it(toy, monkeypatch):
    (toy / "mine").mkdir()
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(toy / "mine"))
    error = Exception("URL fetch failure on https://example.invalid/toy.txt: None -- no network")
    monkeypatch.setattr(datasets, "_download", FakeDownload(b"", error))
    with pytest.raises(datasets.DatasetNotFoundError) as caught:
        datasets.path("toy")
    message = str(caught.value)
    assert str(toy / "cache" / "toy.txt") in message
    assert str(toy / "mine") in message
    assert datasets.DATA_DIR_ENV in message
    assert TOY_URL in message
    assert "URL fetch failure" in message
    assert caught.value.__cause__ is error


@pytest.mark.parametrize(
    ("payload", "error"),
    [(TOY_BYTES[:10], KeyboardInterrupt()), (TOY_BYTES[:10], None), (b"x" * len(TOY_BYTES), None)],
    ids=["interrupted", "truncated", "wrong-content"],
)
def test_failed_download_leaves_nothing_in_the_cache(toy, monkeypatch, payload, error):
    monkeypatch.setattr(datasets, "_download", FakeDownload(payload, error))
    expected = KeyboardInterrupt if error is not None else datasets.DatasetNotFoundError
    with pytest.raises(expected):
        datasets.path("toy")
    assert _cache_listing(toy) == []


def test_missing_data_dir_is_a_clear_error(toy, monkeypatch):
    missing = toy / "nowhere"
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(missing))
    with pytest.raises(datasets.DataDirError) as caught:
        datasets.path("toy")
    assert datasets.DATA_DIR_ENV in str(caught.value)
    assert str(missing) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_data_dir_that_is_a_file_is_rejected(toy, monkeypatch):
    (toy / "afile").write_text("not a folder")
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(toy / "afile"))
    with pytest.raises(datasets.DataDirError, match="not an existing folder"):
        datasets.data_dir()


def test_default_cache_dir(monkeypatch):
    monkeypatch.delenv(datasets.CACHE_DIR_ENV, raising=False)
    assert datasets.cache_dir() == datasets.DEFAULT_CACHE_DIR.expanduser()
    assert datasets.cache_dir().parts[-3:] == (".cache", "rnnkit", "datasets")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"sha256": "ABC"}, "sha256"),
        ({"size": "10"}, "size"),
        ({"size": True}, "size"),
        ({"filename": "sub/toy.txt"}, "filename"),
        ({"name": "other"}, "name"),
        ({"licence": None}, "licence"),
        ({"homepage": "https://example.invalid"}, "homepage"),
    ],
)
def test_malformed_registry_entry_is_rejected(tmp_path, monkeypatch, override, field):
    entry = _entry(**override)
    (tmp_path / "toy.json").write_text(json.dumps(entry), encoding="utf-8")
    monkeypatch.setattr(datasets, "REGISTRY_DIR", tmp_path)
    with pytest.raises(datasets.RegistryError, match=field) as caught:
        datasets.known()
    assert str(tmp_path / "toy.json") in str(caught.value)


def test_real_get_file_downloads_and_verifies(toy, monkeypatch):
    # A file:// URL exercises keras.utils.get_file end to end without a network.
    monkeypatch.setattr(datasets, "_download", REAL_DOWNLOAD)
    server = toy / "server"
    server.mkdir()
    (server / "toy.txt").write_bytes(TOY_BYTES)
    good = toy / "good"
    _write_registry(good, _entry(url=(server / "toy.txt").as_uri()))
    monkeypatch.setattr(datasets, "REGISTRY_DIR", good)
    assert datasets.load_text("toy") == TOY_BYTES.decode("utf-8")
    assert _cache_listing(toy) == ["toy.txt"]

    # The server now holds other bytes: get_file's own check fails and nothing is cached.
    (toy / "cache" / "toy.txt").unlink()
    (server / "toy.txt").write_bytes(TOY_BYTES.upper())
    with pytest.raises(datasets.DatasetNotFoundError, match="does not match"):
        datasets.path("toy")
    assert _cache_listing(toy) == []


def test_real_time_machine_loads_and_matches_the_registry():
    entry = datasets.info("timemachine")
    if datasets.data_dir() is None and not (datasets.cache_dir() / entry.filename).is_file():
        pytest.skip(
            f"{datasets.DATA_DIR_ENV} is unset and {entry.filename} is not cached; the test"
            " suite never downloads"
        )
    text = datasets.load_text("timemachine")
    raw = text.encode("utf-8")
    assert len(raw) == entry.size == 178979
    assert hashlib.sha256(raw).hexdigest() == TIMEMACHINE_SHA
    assert text.startswith("The Time Machine, by H. G. Wells")
