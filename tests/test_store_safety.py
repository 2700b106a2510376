"""Nothing saved is lost silently: lost chunks are found, imports undo, full disks keep edits."""

from __future__ import annotations

import errno
import shutil

import numpy as np
import pytest
from store_synthetic import (
    FullOnCommit,
    fill_disk,
    labelled_store,
    saved_digest,
    tmpfs,
)

from actionvos.errors import InputError, StoreError
from actionvos.formats.palette_folder import export_palette_folder
from actionvos.store import FrameState, Store
from actionvos.store.masks import ChunkError


def _chunk(path, frame):
    return path / "masks.zarr" / "c" / str(frame) / "0" / "0"


def test_a_deleted_chunk_of_a_human_frame_is_reported_and_never_read_as_blank(tmp_path):
    path = labelled_store(tmp_path)
    _chunk(path, 3).unlink()
    before = saved_digest(path)
    with Store.open(path, read_only=True) as reader:
        problems = reader.check()
        with pytest.raises(ChunkError, match=r"frame 3 \(frame_0000000004\) are missing"):
            export_palette_folder(reader, tmp_path / "out")
    assert len(problems) == 1
    assert "frame 3 (frame_0000000004, human-verified)" in problems[0]
    assert "missing" in problems[0] and "c/3/0/0" in problems[0]
    with Store.open(path) as store:
        assert [store.undo().frames for _ in range(2)] == [(5,), (4,)]  # other frames: fine
        with pytest.raises(ChunkError, match="actionvos store check"):
            store.undo()
        with pytest.raises(ChunkError, match="missing"):
            store.read_frames([2, 3])
        store.discard()
    assert saved_digest(path) == before


def test_unlabel_frame_repairs_a_lost_chunk(tmp_path):
    path = labelled_store(tmp_path)
    _chunk(path, 3).unlink()
    with Store.open(path) as store:
        assert store.unlabel_frame(3)
        assert store.check() == []
        assert store.frame_state(3) is FrameState.UNLABELLED
        assert not store.read_frame(3).any()
    with Store.open(path, read_only=True) as reader:
        assert reader.check() == [] and 3 not in reader.labelled_frames()


def test_check_finds_a_chunk_swapped_for_another_frames(tmp_path):
    path = labelled_store(tmp_path)
    shutil.copyfile(_chunk(path, 0), _chunk(path, 4))  # other objects there
    with Store.open(path, read_only=True) as reader:
        problems = reader.check()
    assert len(problems) == 1 and problems[0].startswith("frame 4 (frame_0000000005")
    assert "holds object" in problems[0] and "database records object" in problems[0]


def test_check_reports_a_frame_list_it_cannot_read_instead_of_raising(tmp_path, monkeypatch):
    path = labelled_store(tmp_path)
    with Store.open(path, read_only=True) as reader:

        def unreadable() -> list[int]:
            raise PermissionError(errno.EACCES, "Permission denied", str(path / "masks.zarr"))

        monkeypatch.setattr(reader._s.masks, "chunk_frames", unreadable)
        problems = reader.check()
    assert len(problems) == 1 and "labelled frames" in problems[0]
    assert "Permission denied" in problems[0]


def test_an_import_step_over_human_frames_is_one_undo_step(tmp_path):
    path = labelled_store(tmp_path)
    with Store.open(path) as store:
        old = {f: store.read_frame(f) for f in (1, 2, 15)}
        n_history = len(store.history())
        new = np.zeros((32, 48), np.uint16)
        with store.import_step("import VISOR P01_107.json"):
            knife = store.ensure_object("knife", 4)
            new[5:25, 5:25] = knife
            for f in (1, 2, 15):  # what the importers do with --overwrite
                store.set_masks(f, new, FrameState.HUMAN, record=False, overwrite_human=True)
        history = store.history()
        assert len(history) == n_history + 1
        assert history[-1].label == "import VISOR P01_107.json"
        assert history[-1].frames == (1, 2, 15)
    with Store.open(path) as store:  # undo works in a later session too
        assert store.undo().label == "import VISOR P01_107.json"
        for f, lab in old.items():
            assert np.array_equal(store.read_frame(f), lab)
        assert store.frame_state(1) is FrameState.HUMAN
        assert store.frame_state(15) is FrameState.UNLABELLED
        assert store.check() == []
        store.redo()
        assert all(np.array_equal(store.read_frame(f), new) for f in (1, 2, 15))


def test_a_failing_import_step_leaves_no_trace(tmp_path):
    path = labelled_store(tmp_path)
    before = saved_digest(path)
    with Store.open(path) as store:
        n_history = len(store.history())
        bad = np.full((32, 48), 77, np.uint16)  # not an object of the store
        step = store.import_step("import palette folder")
        with pytest.raises(InputError, match="not objects"), step:
            store.set_masks(1, np.zeros((32, 48), np.uint16), record=False)
            store.set_masks(2, bad, record=False, overwrite_human=True)
        assert len(store.history()) == n_history
        assert store.read_frame(1).any() and not store.dirty
    assert saved_digest(path) == before


def _edit(store: Store) -> np.ndarray:
    lab = np.zeros((32, 48), np.uint16)
    lab[10:20, 10:30] = store.object_id("b")
    store.set_masks(7, lab)
    store.update_object(store.object_id("a"), name="apple")
    return lab


def test_a_save_on_a_full_disk_keeps_the_edits_and_says_so(tmp_path):
    path = labelled_store(tmp_path)
    before = saved_digest(path)
    store = Store.open(path)
    lab = _edit(store)
    full = FullOnCommit(store._s.conn)
    store._s.conn = full  # the commit fails as SQLite fails when the disk is full
    with pytest.raises(StoreError) as info:
        store.save()
    message = str(info.value)
    assert full.commits_refused == 1
    assert "full" in message and "kept" in message and "no transaction" not in message
    assert saved_digest(path) == before  # nothing half-written
    assert store.dirty and np.array_equal(store.read_frame(7), lab)  # still in memory
    store._s.conn = full.conn  # space freed
    assert store.save()
    store.close()
    with Store.open(path, read_only=True) as reader:
        assert np.array_equal(reader.read_frame(7), lab) and reader.object_id("apple")
        assert reader.check() == []


def test_closing_on_a_full_disk_says_the_edits_were_not_written(tmp_path):
    path = labelled_store(tmp_path)
    before = saved_digest(path)
    store = Store.open(path)
    _edit(store)
    store._s.conn = FullOnCommit(store._s.conn)
    with pytest.raises(StoreError, match="closed at its last save; the edits made since were"):
        store.close()
    assert saved_digest(path) == before
    Store.open(path).close()  # the lock was released


def test_enospc_while_writing_a_chunk_or_syncing_keeps_earlier_edits(tmp_path, monkeypatch):
    path = labelled_store(tmp_path)
    before = saved_digest(path)
    store = Store.open(path)
    lab = _edit(store)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("actionvos.store.masks.os.fsync", no_space)
    with pytest.raises(StoreError, match="No space left.*earlier unsaved edits are kept"):
        store.set_masks(8, lab)
    with pytest.raises(StoreError, match="No space left.*kept in this open store"):
        store.save()
    assert saved_digest(path) == before
    monkeypatch.undo()
    assert np.array_equal(store.read_frame(7), lab) and store.frame_state(8).name == "UNLABELLED"
    assert store.save()
    store.close()
    with Store.open(path, read_only=True) as reader:
        assert np.array_equal(reader.read_frame(7), lab) and reader.check() == []


def test_a_real_full_disk_keeps_the_edits_until_space_is_freed():
    with tmpfs("3m") as disk:
        store = Store.create(disk / "big.actionvos", n_frames=50, height=200, width=300)
        for name in "abcde":
            store.add_object(name)
        store.save()
        path = store.path
        rng = np.random.default_rng(0)
        filler = fill_disk(disk, leave=200_000)
        written = {}
        with pytest.raises(StoreError, match="No space left.*earlier unsaved edits are kept"):
            for f in range(50):  # noisy labels compress badly: the disk fills up
                lab = rng.integers(0, 6, (200, 300)).astype(np.uint16)
                store.set_masks(f, lab)
                written[f] = lab
        assert len(written) > 3
        with pytest.raises(StoreError) as info:
            store.save()  # SQLite cannot write the commit either, and rolls it back
        assert "is full" in str(info.value) and "kept in this open store" in str(info.value)
        filler.unlink()
        assert store.save()
        store.close()
        with Store.open(path, read_only=True) as reader:
            assert reader.check() == []
            for f, lab in written.items():
                assert np.array_equal(reader.read_frame(f), lab)


def test_a_no_op_edit_leaves_the_store_clean(tmp_path):
    path = labelled_store(tmp_path)
    with Store.open(path) as store:
        store.set_masks(1, store.read_frame(1))
        store.update_object(store.object_id("a"), name="a")
        assert not store.dirty and not store.autosave()


def test_a_transaction_sqlite_dropped_between_edits_is_rebuilt(tmp_path):
    path = labelled_store(tmp_path)
    with Store.open(path) as store:
        lab = _edit(store)
        store._s.conn.execute("ROLLBACK")  # as SQLite may after an I/O error on a read
        store.add_object("d")
        assert np.array_equal(store.read_frame(7), lab)
    with Store.open(path, read_only=True) as reader:
        assert np.array_equal(reader.read_frame(7), lab)
        assert reader.object_id("d") and reader.object_id("apple")
