"""The store's failure corpus: damaged, foreign or unreachable stores, each refused clearly.

Every case damages a saved store (or its disk), runs one operation, and asserts the error
class and a message naming the problem (or, for ``check``, the problem it reports), and that
the store's saved files are byte-identical afterwards wherever the operation was refused.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from store_synthetic import FullOnCommit, labelled_store, remount_read_only, saved_digest, tmpfs

from actionvos.errors import ActionVOSError, StoreError
from actionvos.formats.palette_folder import export_palette_folder
from actionvos.store import Store
from actionvos.store.masks import ChunkError


def _chunk(path: Path, frame: int) -> Path:
    return path / "masks.zarr" / "c" / str(frame) / "0" / "0"


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path / "labels.sqlite")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def _zarr_meta(path: Path, change: Callable[[dict], None]) -> None:
    meta = path / "masks.zarr" / "zarr.json"
    data = json.loads(meta.read_text())
    change(data)
    meta.write_text(json.dumps(data))


def _flip(file: Path, at: int, n: int = 8) -> None:
    data = bytearray(file.read_bytes())
    for i in range(at, min(at + n, len(data))):
        data[i] ^= 0xFF
    file.write_bytes(bytes(data))


def _flip_table(path: Path, table: str) -> None:
    """Spoil the first page of one table (its b-tree header and cell pointers)."""
    conn = sqlite3.connect(path / "labels.sqlite")
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    _flip(path / "labels.sqlite", (root - 1) * page_size, 24)


def _copy_chunk(path: Path, source: int, target: int) -> None:
    _chunk(path, target).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_chunk(path, source), _chunk(path, target))


def _truncate(file: Path, keep: float) -> None:
    data = file.read_bytes()
    file.write_bytes(data[: int(len(data) * keep)])


# ---------------------------------------------------------------- operations


def open_writer(path: Path) -> None:
    Store.open(path).close()


def open_reader(path: Path) -> None:
    with Store.open(path, read_only=True) as store:
        store.objects()
        store.labelled_frames()


def check(path: Path) -> list[str]:
    with Store.open(path, read_only=True) as store:
        return store.check()


def read_frame_3(path: Path) -> None:
    with Store.open(path, read_only=True) as store:
        store.read_frame(3)


def export(path: Path) -> None:
    with Store.open(path, read_only=True) as store:
        export_palette_folder(store, path.parent / "export")


def undo_three(path: Path) -> None:
    with Store.open(path) as store:
        for _ in range(3):  # frames 5, 4 and then 3
            store.undo()


def second_writer(path: Path) -> None:
    with Store.open(path):
        Store.open(path)


def save_on_full_disk(path: Path) -> None:
    store = Store.open(path)
    lab = np.zeros((32, 48), np.uint16)
    lab[:10, :10] = 1
    store.set_masks(7, lab)
    store._s.conn = FullOnCommit(store._s.conn)
    try:
        store.save()
    finally:
        store._s.conn = store._s.conn.conn
        store.close(save=False)


def stage_on_full_disk(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with Store.open(path) as store:
        monkeypatch.setattr("actionvos.store.masks.os.fsync", no_space)
        lab = np.zeros((32, 48), np.uint16)
        lab[:10, :10] = 1
        store.set_masks(7, lab)


# ---------------------------------------------------------------- damage


@dataclass(frozen=True)
class Case:
    """One bad input: how the store is spoiled, what is tried, and how it must be refused.

    ``error`` None means the operation is ``check`` and ``message`` must be in one of the
    problems it returns (and it must not raise).
    """

    name: str
    damage: Callable[[Path], None]
    operation: Callable[..., object]
    error: type[Exception] | None
    message: str
    needs_monkeypatch: bool = False


def _nothing(path: Path) -> None:
    return None


CASES = [
    Case(
        "newer format, writer",
        lambda p: _sql(p, "UPDATE meta SET value = '7' WHERE key = 'format_version'"),
        open_writer,
        StoreError,
        r"format version 7, newer than .*upgrade actionvos",
    ),
    Case(
        "newer format, reader",
        lambda p: _sql(p, "UPDATE meta SET value = '7' WHERE key = 'format_version'"),
        open_reader,
        StoreError,
        r"format version 7, newer",
    ),
    Case(
        "format version missing",
        lambda p: _sql(p, "DELETE FROM meta WHERE key = 'format_version'"),
        open_writer,
        StoreError,
        r"labels.sqlite is damaged \(its format version is missing\)",
    ),
    Case(
        "clip size missing",
        lambda p: _sql(p, "DELETE FROM meta WHERE key = 'n_frames'"),
        open_reader,
        StoreError,
        r"damaged \(the clip size is missing\)",
    ),
    Case(
        "a table dropped",
        lambda p: _sql(p, "DROP TABLE frame_objects"),
        open_writer,
        StoreError,
        r"damaged \(tables \['frame_objects'\] are missing\)",
    ),
    Case(
        "meta table dropped",
        lambda p: _sql(p, "DROP TABLE meta"),
        open_reader,
        StoreError,
        r"damaged \(it has no meta table\)",
    ),
    Case(
        "database header overwritten",
        lambda p: _flip(p / "labels.sqlite", 0, 16),
        open_reader,
        StoreError,
        r"labels.sqlite is damaged \(not an SQLite file\)",
    ),
    Case(
        "database emptied",
        lambda p: (p / "labels.sqlite").write_bytes(b""),
        open_writer,
        StoreError,
        r"damaged \(not an SQLite file\)",
    ),
    Case(
        "database truncated",
        lambda p: _truncate(p / "labels.sqlite", 0.4),
        open_writer,
        StoreError,
        r"labels.sqlite is damaged",
    ),
    Case(
        "database pages flipped, writer",
        lambda p: _flip_table(p, "frames"),
        open_writer,
        StoreError,
        r"labels.sqlite is damaged",
    ),
    Case(
        "database pages flipped, check",
        lambda p: _flip_table(p, "frame_objects"),
        check,
        None,
        r"labels.sqlite is damaged",
    ),
    Case(
        "database missing",
        lambda p: (p / "labels.sqlite").unlink(),
        open_reader,
        StoreError,
        r"is not a label store: labels.sqlite is missing",
    ),
    Case(
        "writer lock missing",
        lambda p: (p / "writer.lock").unlink(),
        open_writer,
        StoreError,
        r"not a complete label store \(writer.lock is missing\)",
    ),
    Case(
        "not a directory",
        lambda p: (shutil.rmtree(p), p.write_text("hello")),
        open_reader,
        StoreError,
        r"there is no label store at .*clip.actionvos",
    ),
    Case(
        "zarr metadata missing",
        lambda p: (p / "masks.zarr" / "zarr.json").unlink(),
        open_reader,
        StoreError,
        r"the mask array .*masks.zarr cannot be opened",
    ),
    Case(
        "zarr metadata not JSON",
        lambda p: (p / "masks.zarr" / "zarr.json").write_text("{not json"),
        open_writer,
        StoreError,
        r"the mask array .*masks.zarr cannot be opened",
    ),
    Case(
        "zarr shape differs from the database",
        lambda p: _zarr_meta(p, lambda d: d["shape"].__setitem__(0, 21)),
        open_writer,
        StoreError,
        r"inconsistent: the database describes \(20, 32, 48\) .* mask array has \(21, 32, 48\)",
    ),
    Case(
        "zarr dtype not uint16",
        lambda p: _zarr_meta(p, lambda d: d.__setitem__("data_type", "uint8")),
        open_reader,
        StoreError,
        r"dtype uint8; a label store needs uint16",
    ),
    Case(
        "chunk deleted, check",
        lambda p: _chunk(p, 3).unlink(),
        check,
        None,
        r"frame 3 \(frame_0000000004, human-verified\).* are missing: .*c/3/0/0 was deleted",
    ),
    Case(
        "chunk deleted, read",
        lambda p: _chunk(p, 3).unlink(),
        read_frame_3,
        ChunkError,
        r"frame 3 .* are missing.*actionvos store check",
    ),
    Case(
        "chunk deleted, export",
        lambda p: _chunk(p, 3).unlink(),
        export,
        ChunkError,
        r"masks of frame 3 \(frame_0000000004\) are missing",
    ),
    Case(
        "chunk deleted, undo",
        lambda p: _chunk(p, 3).unlink(),
        undo_three,
        ChunkError,
        r"masks of frame 3 .* are missing",
    ),
    Case(
        "chunk bytes flipped, read",
        lambda p: _flip(_chunk(p, 3), 20),
        read_frame_3,
        ChunkError,
        r"frame 3 cannot be read: .*c/3/0/0 is damaged",
    ),
    Case(
        "chunk bytes flipped, check",
        lambda p: _flip(_chunk(p, 3), 20),
        check,
        None,
        r"frame 3 \(frame_0000000004, human-verified\): .*c/3/0/0 is damaged",
    ),
    Case(
        "chunk truncated, check",
        lambda p: _truncate(_chunk(p, 3), 0.5),
        check,
        None,
        r"frame 3 .*is damaged",
    ),
    Case(
        "chunk of the wrong shape",
        lambda p: _chunk(p, 3).write_bytes(_foreign_chunk(p.parent)),
        read_frame_3,
        ChunkError,
        r"frame 3 cannot be read: .*c/3/0/0 is damaged",
    ),
    Case(
        "chunk of another frame, check",
        lambda p: _copy_chunk(p, 0, 4),
        check,
        None,
        r"frame 4 \(frame_0000000005, human-verified\): its chunk .* holds object",
    ),
    Case(
        "labels in a chunk of an unlabelled frame, check",
        lambda p: _copy_chunk(p, 0, 17),
        check,
        None,
        r"frame 17 \(frame_0000000018, unlabelled\): .* database records no objects",
    ),
    Case("two writers", _nothing, second_writer, StoreError, r"already open for writing"),
    Case(
        "full disk at the commit",
        _nothing,
        save_on_full_disk,
        StoreError,
        r"is full .*the edits made since are kept in this open store",
    ),
    Case(
        "full disk while staging a chunk",
        _nothing,
        stage_on_full_disk,
        StoreError,
        r"cannot write the masks of frame 7 .*No space left on device",
        needs_monkeypatch=True,
    ),
]


def _foreign_chunk(tmp: Path) -> bytes:
    """The chunk bytes of a frame of another clip size."""
    with Store.create(tmp / "other.actionvos", n_frames=2, height=16, width=16) as other:
        oid = other.add_object("x")
        other.set_masks(0, np.full((16, 16), oid, np.uint16))
    return _chunk(tmp / "other.actionvos", 0).read_bytes()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_store_is_refused_clearly_and_left_unchanged(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = labelled_store(tmp_path)
    case.damage(path)
    before = saved_digest(path) if path.is_dir() else path.read_bytes()
    args = (path, monkeypatch) if case.needs_monkeypatch else (path,)
    if case.error is None:
        problems = case.operation(*args)
        assert any(re.search(case.message, p) for p in problems), problems
    else:
        with pytest.raises(case.error) as info:
            case.operation(*args)
        assert isinstance(info.value, ActionVOSError)
        assert re.search(case.message, str(info.value)), str(info.value)
    monkeypatch.undo()
    after = saved_digest(path) if path.is_dir() else path.read_bytes()
    assert after == before


def test_read_only_file_system_is_read_but_refuses_writers_and_creation() -> None:
    with tmpfs("2m") as disk:
        path = labelled_store(disk)
        remount_read_only(disk)
        before = saved_digest(path)
        with pytest.raises(StoreError, match="on a read-only file system; open it read-only"):
            Store.open(path)
        with Store.open(path, read_only=True) as reader:  # readers still read it
            assert reader.check() == [] and reader.read_frame(1).any()
        with pytest.raises(StoreError, match=r"cannot create the store .*Read-only file system"):
            Store.create(disk / "new.actionvos", n_frames=2, height=4, width=4)
        assert saved_digest(path) == before
