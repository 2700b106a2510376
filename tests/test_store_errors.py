"""Stores that cannot be trusted are refused with a clear message and never written to."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from store_synthetic import digest, new_store

from actionvos.errors import StoreError
from actionvos.store import FrameState, Store


def _filled_store(tmp_path):
    store = new_store(tmp_path)
    ids = [store.add_object(f"object {i}", i) for i in range(1, 30)]
    for f in range(0, 40, 2):
        lab = np.zeros((54, 96), np.uint16)
        lab[f : f + 10, :] = ids[f % len(ids)]
        store.set_masks(f, lab, FrameState.MODEL)
    for i in range(60):
        store.add_action(f"action number {i} " + "x" * 80, i % 40, 39)
    store.close()
    return store.path


def _open_both_ways(path):
    for read_only in (False, True):
        with pytest.raises(StoreError) as info:
            Store.open(path, read_only=read_only).close()
    return str(info.value)


def test_newer_format_is_refused_untouched(tmp_path):
    path = _filled_store(tmp_path)
    conn = sqlite3.connect(path / "labels.sqlite")
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    conn.commit()
    conn.close()
    before = digest(path)
    message = _open_both_ways(path)
    assert "format version 99" in message and "upgrade" in message
    assert digest(path) == before


def test_damaged_database_header_is_refused_untouched(tmp_path):
    path = _filled_store(tmp_path)
    db = path / "labels.sqlite"
    data = bytearray(db.read_bytes())
    data[:16] = b"not a database!!"
    db.write_bytes(bytes(data))
    before = digest(path)
    assert "damaged" in _open_both_ways(path)
    assert digest(path) == before


def test_damaged_database_page_is_refused_by_the_writer_untouched(tmp_path):
    path = _filled_store(tmp_path)
    db = path / "labels.sqlite"
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    rng = np.random.default_rng(0)
    data[3 * page : 5 * page] = rng.integers(0, 256, 2 * page, dtype=np.uint8).tobytes()
    db.write_bytes(bytes(data))
    before = digest(path)
    with pytest.raises(StoreError, match="damaged"):
        Store.open(path)
    # A reader opens it but finds the damage as soon as it reads there, and check reports it.
    with Store.open(path, read_only=True) as reader:
        with pytest.raises(StoreError, match="damaged"):
            for read in (reader.actions, reader.objects, reader.labelled_frames):
                read()
        problems = reader.check()
    assert problems and any("damaged" in p or "malformed" in p for p in problems), problems
    assert digest(path) == before


def test_damaged_chunk_names_the_file_and_is_never_overwritten(tmp_path):
    path = _filled_store(tmp_path)
    chunk = path / "masks.zarr" / "c" / "4" / "0" / "0"
    chunk.write_bytes(chunk.read_bytes()[: len(chunk.read_bytes()) // 2])  # half written
    before = digest(path)
    with Store.open(path) as store:
        with pytest.raises(StoreError, match=r"frame 4 .*c/4/0/0 is damaged"):
            store.read_frame(4)
        with pytest.raises(StoreError, match="damaged"):
            store.set_masks(4, np.zeros((54, 96), np.uint16))
        assert any("frame 4" in p for p in store.check())
        assert store.read_frame(6).any()  # the rest of the store still works
    assert digest(path) == before


def test_missing_or_inconsistent_mask_array_is_refused_untouched(tmp_path):
    path = _filled_store(tmp_path)
    meta = path / "masks.zarr" / "zarr.json"
    data = json.loads(meta.read_text())
    data["shape"][0] = 41
    meta.write_text(json.dumps(data))
    before = digest(path)
    assert "inconsistent" in _open_both_ways(path)
    assert digest(path) == before
    meta.unlink()
    before = digest(path)
    assert "cannot be opened" in _open_both_ways(path)
    assert digest(path) == before
    with pytest.raises(StoreError, match="no label store"):
        Store.open(tmp_path / "nowhere.actionvos")
