"""Data files as users have them: compressed jsonl/json/txt (``datasets`` reads them as they are), globs that mix
formats, and files the loaders cannot read — each a dataset or one line naming the file, never a traceback."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma

import pytest
from conftest import run_cli

from align.errors import UserError

DOCS = [f"Document {i}: the old mill by the river grinds flour for the town." for i in range(30)]
PAIRS = [{"prompt": f"Q{i}?", "chosen": f"Yes {i}.", "rejected": f"No {i}."} for i in range(6)]
CHATS = [{"messages": [{"role": "user", "content": f"Hi {i}"}, {"role": "assistant", "content": f"Hello {i}."}]}
         for i in range(6)]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.mark.parametrize("name, data", [
    ("docs.jsonl.gz", gzip.compress(_jsonl({"text": d} for d in DOCS))),
    ("docs.json.gz", gzip.compress(json.dumps([{"text": d} for d in DOCS]).encode())),
    ("docs.txt.gz", gzip.compress("\n".join(DOCS).encode())),
    ("docs.jsonl.bz2", bz2.compress(_jsonl({"text": d} for d in DOCS))),
    ("docs.jsonl.xz", lzma.compress(_jsonl({"text": d} for d in DOCS))),
])
def test_compressed_text_files_load_as_file_dir_and_glob(tmp_path, name, data):
    from align.data.text import load_text_dataset

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / name).write_bytes(data)
    for spec in (folder / name, folder, folder / "*"):
        dataset = load_text_dataset(str(spec))
        assert dataset["text"] == DOCS, spec


def test_a_glob_mixing_formats_is_one_line(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from align.data.text import load_text_dataset

    pq.write_table(pa.table({"text": DOCS}), tmp_path / "a.parquet")
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(_jsonl({"text": d} for d in DOCS)))
    with pytest.raises(UserError, match=r"mixes file formats \['.jsonl.gz', '.parquet'\]; point at one kind"):
        load_text_dataset(str(tmp_path / "*"))
    (tmp_path / "notes.md").write_text("# notes")
    with pytest.raises(UserError, match=r"notes.md: not a data file"):
        load_text_dataset(str(tmp_path / "*.*"))
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match=r"bad.jsonl.gz: could not read as json"):
        load_text_dataset(str(tmp_path / "bad.jsonl.gz"))


def test_tokenizer_trains_on_a_compressed_file(tmp_path, capsys):
    from align.cli import main

    data = tmp_path / "corpus.txt.gz"
    data.write_bytes(gzip.compress("\n".join(DOCS * 4).encode()))
    code, _, err = run_cli(main, ["tokenizer", "train", "--data", str(data), "--out", str(tmp_path / "tok"),
                                  "--vocab_size", "300"], capsys)
    assert code == 0, err
    assert (tmp_path / "tok" / "tokenizer.json").is_file()


def test_compressed_conversations_and_pairs_keep_row_level_checks(tmp_path):
    from align.data.conversations.loaders import load_rows
    from align.data.preferences import load_preference_splits, load_preferences

    (tmp_path / "chat.jsonl.gz").write_bytes(gzip.compress(_jsonl(CHATS)))
    assert load_rows(str(tmp_path / "chat.jsonl.gz")) == CHATS
    (tmp_path / "pairs.json.xz").write_bytes(lzma.compress(json.dumps(PAIRS).encode()))
    assert load_preferences(str(tmp_path / "pairs.json.xz"))[0] == PAIRS[0]
    splits = tmp_path / "splits"  # an `align preferences`-style dir, compressed: each split from its own file
    splits.mkdir()
    (splits / "train.jsonl.gz").write_bytes(gzip.compress(_jsonl(PAIRS[:4])))
    (splits / "test.jsonl.gz").write_bytes(gzip.compress(_jsonl(PAIRS[4:])))
    train, test = load_preference_splits(str(splits))
    assert train["prompt"] == ["Q0?", "Q1?", "Q2?", "Q3?"] and test["prompt"] == ["Q4?", "Q5?"]
    # a bad line inside a compressed file is still named by its line number
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(_jsonl(CHATS[:2]) + b"{oops\n"))
    with pytest.raises(UserError, match=r"broken.jsonl.gz: line 3: not valid JSON"):
        load_rows(str(tmp_path / "broken.jsonl.gz"))
    (tmp_path / "truncated.jsonl.gz").write_bytes(gzip.compress(_jsonl(CHATS))[:-12])
    with pytest.raises(UserError, match=r"truncated.jsonl.gz: could not read"):
        load_rows(str(tmp_path / "truncated.jsonl.gz"))


def test_sft_takes_a_compressed_conversation_file(tmp_path):
    from align.sft import SFTScriptArguments, load_sft_dataset

    (tmp_path / "chat.jsonl.gz").write_bytes(gzip.compress(_jsonl(CHATS)))
    dataset = load_sft_dataset(SFTScriptArguments(dataset_name=str(tmp_path / "chat.jsonl.gz")))
    assert dataset["messages"] == [c["messages"] for c in CHATS]
