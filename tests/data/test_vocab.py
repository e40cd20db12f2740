"""rnnkit.data.vocab: ordering, lookups both ways, reserved tokens, save/load and errors."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnnkit.data.vocab import Vocab

# Counted by hand: the 2, cat 2, sat 2, a 1, dog 1, down 1.
CORPUS = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat"]]
ORDER = ["<unk>", "cat", "sat", "the", "a", "dog", "down"]


@pytest.fixture
def vocab():
    return Vocab(CORPUS)


def test_ids_follow_frequency_then_alphabet(vocab):
    assert vocab.idx_to_token == ORDER
    assert vocab.token_to_idx == {token: idx for idx, token in enumerate(ORDER)}
    assert vocab.token_freqs == [
        ("cat", 2),
        ("sat", 2),
        ("the", 2),
        ("a", 1),
        ("dog", 1),
        ("down", 1),
    ]


def test_ids_do_not_depend_on_corpus_order():
    flat = [token for sentence in CORPUS for token in sentence]
    rng = random.Random(0)
    for _ in range(5):
        rng.shuffle(flat)
        assert Vocab(flat).idx_to_token == ORDER


@pytest.mark.parametrize(("min_freq", "size"), [(0, 7), (1, 7), (2, 4), (3, 1)])
def test_min_freq_sets_size(min_freq, size):
    vocab = Vocab(CORPUS, min_freq=min_freq)
    assert len(vocab) == size
    assert vocab.idx_to_token == ORDER[:size]
    assert vocab.min_freq == min_freq


def test_dropped_tokens_stay_in_the_counts():
    vocab = Vocab(CORPUS, min_freq=2)
    assert "dog" not in vocab
    assert vocab["dog"] == vocab.unk
    assert vocab.frequency("dog") == 1
    assert len(vocab.token_freqs) == 6


def test_flat_nested_and_array_inputs_count_the_same_leaves(vocab):
    flat = [token for sentence in CORPUS for token in sentence]
    deep = [[CORPUS[0], [CORPUS[1]]], (tuple(CORPUS[2]),)]
    arrays = [np.array(sentence) for sentence in CORPUS]
    assert Vocab(flat) == vocab
    assert Vocab(deep) == vocab
    assert Vocab(iter(flat)) == vocab
    from_arrays = Vocab(arrays)
    assert from_arrays == vocab
    assert all(type(token) is str for token in from_arrays.idx_to_token)


def test_nested_lookup_both_directions(vocab):
    nested = [["the", "cat"], [["zebra"], "down"], []]
    ids = [[3, 1], [[0], 6], []]
    assert vocab[nested] == ids
    assert vocab[("sat", "a")] == [2, 4]
    assert vocab.to_tokens(ids) == [["the", "cat"], [["<unk>"], "down"], []]
    assert vocab.to_tokens((2, 4)) == ["sat", "a"]


def test_numpy_inputs_are_accepted(vocab):
    assert vocab[np.array([["cat", "dog"]])] == [[1, 5]]
    assert vocab.to_tokens(np.array([[1, 5], [0, 3]])) == [["cat", "dog"], ["<unk>", "the"]]
    assert vocab.to_tokens(np.int64(3)) == "the"
    assert vocab.to_tokens(np.array(6)) == "down"


def test_unknown_tokens_map_to_unk(vocab):
    assert vocab.unk == 0
    assert vocab.unk_token == "<unk>"
    assert vocab["zebra"] == 0
    assert vocab[""] == 0
    assert vocab.to_tokens(vocab.unk) == "<unk>"
    assert "zebra" not in vocab
    assert "<unk>" in vocab
    assert 3 not in vocab
    assert vocab.frequency("zebra") == 0
    assert vocab.frequency("cat") == 2


def test_reserved_tokens_follow_unk():
    vocab = Vocab(CORPUS, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "<eos>", *ORDER[1:]]
    assert vocab.reserved_tokens == ["<pad>", "<bos>", "<eos>"]
    assert vocab["<eos>"] == 3
    assert vocab.frequency("<eos>") == 0


def test_reserved_tokens_in_the_corpus_keep_one_id_and_survive_min_freq():
    corpus = ["<eos>", "x", "x", "<eos>", "<eos>", "<unk>"]
    vocab = Vocab(corpus, min_freq=4, reserved_tokens=["<eos>"])
    assert vocab.idx_to_token == ["<unk>", "<eos>"]
    assert vocab.frequency("<eos>") == 3
    assert vocab.frequency("<unk>") == 1
    assert Vocab(corpus, reserved_tokens=["<eos>"]).idx_to_token == ["<unk>", "<eos>", "x"]


def test_empty_vocab_holds_only_unk():
    vocab = Vocab()
    assert len(vocab) == 1
    assert list(vocab) == ["<unk>"]
    assert vocab["anything"] == 0
    assert vocab.token_freqs == []


def test_len_iter_and_repr(vocab):
    assert len(vocab) == 7
    assert list(vocab) == ORDER
    assert repr(vocab) == "Vocab(size=7, min_freq=1, reserved=[])"
    assert repr(Vocab(reserved_tokens=["<pad>"], min_freq=0)) == (
        "Vocab(size=2, min_freq=0, reserved=['<pad>'])"
    )


def test_properties_return_copies(vocab):
    vocab.idx_to_token.append("oops")
    vocab.token_to_idx["oops"] = 99
    vocab.token_freqs.clear()
    vocab.reserved_tokens.append("oops")
    assert vocab == Vocab(CORPUS)
    assert vocab["oops"] == 0


def test_equality(vocab):
    assert vocab == Vocab(CORPUS)
    assert vocab != Vocab(CORPUS, min_freq=0)
    assert vocab != Vocab(CORPUS, reserved_tokens=["<pad>"])
    assert vocab != Vocab(CORPUS + [["cat"]])
    assert vocab != ORDER


def test_save_load_round_trip(tmp_path):
    vocab = Vocab(CORPUS + [["café", "日本", "café"]], min_freq=2, reserved_tokens=["<pad>"])
    path = vocab.save(tmp_path / "vocab.json")
    assert path == tmp_path / "vocab.json"
    loaded = Vocab.load(str(path))
    assert loaded == vocab
    assert loaded.idx_to_token == vocab.idx_to_token
    assert loaded.token_freqs == vocab.token_freqs
    assert loaded.min_freq == 2
    assert loaded.reserved_tokens == ["<pad>"]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["format"], data["version"]) == ("rnnkit.vocab", 1)
    assert "café" in path.read_text(encoding="utf-8")


def test_save_overwrites_and_leaves_no_temp_file(tmp_path, vocab):
    path = tmp_path / "vocab.json"
    Vocab(["old"]).save(path)
    vocab.save(path)
    assert Vocab.load(path) == vocab
    assert os.listdir(tmp_path) == ["vocab.json"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch, vocab, failing):
    path = tmp_path / "vocab.json"
    vocab.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk on fire")

    # fsync fails after the new text is written to the temp file, replace just before the swap
    monkeypatch.setattr(os, failing, crash)
    with pytest.raises(OSError, match="disk on fire"):
        Vocab(["new", "tokens"], reserved_tokens=["<pad>"]).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["vocab.json"]
    assert Vocab.load(path) == vocab


def test_save_into_missing_folder(tmp_path, vocab):
    with pytest.raises(FileNotFoundError, match="folder .*nope does not exist"):
        vocab.save(tmp_path / "nope" / "vocab.json")


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent\.json does not exist.*Vocab\.save"):
        Vocab.load(tmp_path / "absent.json")


def test_load_rejects_invalid_json(tmp_path, vocab):
    path = vocab.save(tmp_path / "vocab.json")
    path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    with pytest.raises(ValueError, match=r"vocab\.json is not a valid .*not valid JSON"):
        Vocab.load(path)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not valid JSON"):
        Vocab.load(path)


def _drop(key):
    def edit(data):
        del data[key]

    return edit


def _set(key, value):
    def edit(data):
        data[key] = value

    return edit


def _keep_only_format(data):
    for key in list(data):
        if key != "format":
            del data[key]


def _swap_first_two_tokens(data):
    tokens = data["idx_to_token"]
    tokens[1], tokens[2] = tokens[2], tokens[1]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_keep_only_format, r"missing keys \['version', 'min_freq'"),
        (_drop("token_freqs"), r"missing keys \['token_freqs'\]"),
        (_set("format", "other"), "format is 'other'"),
        (_set("version", 2), "version 2 is not supported"),
        (
            _set("idx_to_token", ["cat", "<unk>"]),
            r"idx_to_token\[0\] must be '<unk>', found 'cat'",
        ),
        (_set("idx_to_token", []), r"idx_to_token\[0\] must be '<unk>', found None"),
        (_set("idx_to_token", ["<unk>", 5]), "idx_to_token must be a list of str"),
        (_set("idx_to_token", ["<unk>", "cat", "cat"]), r"lists \['cat'\] more than once"),
        (_set("token_freqs", {"cat": 2}), "token_freqs must be a list"),
        (_set("token_freqs", [["cat", 2, 1]]), r"pairs, found \['cat', 2, 1\]"),
        (_set("token_freqs", [["cat", 0]]), r"pairs, found \['cat', 0\]"),
        (_set("token_freqs", [["cat", True]]), r"pairs, found \['cat', True\]"),
        (_set("token_freqs", [["cat", 2], ["cat", 1]]), "token_freqs lists 'cat' more than once"),
        (_set("min_freq", -1), "min_freq must be an integer >= 0, got -1"),
        (_set("min_freq", 1.5), r"min_freq must be an integer >= 0, got 1\.5 \(float\)"),
        (_set("reserved_tokens", "<pad>"), "reserved_tokens must be a list of str"),
        (_set("reserved_tokens", ["<unk>"]), "reserved_tokens must not contain '<unk>'"),
        (_swap_first_two_tokens, "idx_to_token does not match"),
        (_set("min_freq", 2), "idx_to_token does not match"),
    ],
)
def test_load_rejects_wrong_structure(tmp_path, vocab, edit, message):
    path = vocab.save(tmp_path / "vocab.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"vocab\.json is not a valid rnnkit vocabulary file: "):
        Vocab.load(path)
    with pytest.raises(ValueError, match=message):
        Vocab.load(path)


def test_load_rejects_a_top_level_list(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="top level is a JSON list, not an object"):
        Vocab.load(path)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"min_freq": -1}, ValueError, "min_freq must be an integer >= 0, got -1"),
        ({"min_freq": 1.5}, TypeError, "min_freq must be an integer >= 0, got 1.5"),
        ({"min_freq": True}, TypeError, "min_freq must be an integer >= 0, got True"),
        (
            {"reserved_tokens": ["<pad>", "<eos>", "<pad>"]},
            ValueError,
            r"lists \['<pad>'\] more than once",
        ),
        (
            {"reserved_tokens": ["<unk>"]},
            ValueError,
            "must not contain '<unk>': it always has id 0",
        ),
        (
            {"reserved_tokens": "<pad>"},
            TypeError,
            r"single string '<pad>'; write reserved_tokens=\['<pad>'\]",
        ),
        (
            {"reserved_tokens": [None]},
            TypeError,
            "reserved_tokens must be a list of str, found NoneType",
        ),
        ({"tokens": "the cat"}, TypeError, r"tokens is a single str .*list\(text\)"),
        ({"tokens": {"cat": 2}}, TypeError, "tokens is a dict; pass the tokens themselves"),
        ({"tokens": ["cat", ["dog", 3]]}, TypeError, "tokens must hold str tokens .*found int 3"),
        (
            {"tokens": 7},
            TypeError,
            "tokens must be a list of str or nested lists of str, got int 7",
        ),
    ],
)
def test_constructor_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        Vocab(**kwargs)


def test_lookup_errors(vocab):
    with pytest.raises(TypeError, match="got int 5; to turn ids into tokens use vocab.to_tokens"):
        vocab[5]
    with pytest.raises(TypeError, match="got NoneType None"):
        vocab[["cat", None]]
    with pytest.raises(IndexError, match=r"id 7 is out of range: valid ids are 0\.\.6"):
        vocab.to_tokens(7)
    with pytest.raises(IndexError, match=r"id -1 is out of range: valid ids are 0\.\.6"):
        vocab.to_tokens([[0, -1]])
    with pytest.raises(TypeError, match=r"a token id must be an integer, got 'cat' \(str\)"):
        vocab.to_tokens("cat")
    with pytest.raises(TypeError, match=r"got 1\.0 \(float\)"):
        vocab.to_tokens([1.0])
    with pytest.raises(TypeError, match=r"got True \(bool\)"):
        vocab.to_tokens(True)
    with pytest.raises(TypeError, match=r"got np\.True_ \(bool\)|got True \(bool_\)"):
        vocab.to_tokens(np.bool_(True))
    assert vocab.to_tokens(np.int64(1)) == vocab.idx_to_token[1]


def test_import_stays_free_of_tensorflow():
    code = "import sys, rnnkit.data.vocab; sys.exit('tensorflow' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
