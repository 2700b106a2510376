"""The store's everyday behaviour: writes reach disk only on save, readers see the last save,
one writer at a time, models never overwrite human work, and plain zarr can read the masks."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import zarr
from store_synthetic import digest, new_store

from actionvos.errors import InputError, StoreError
from actionvos.store import FrameState, ModelRole, Source, Store, default_store_path


def _labels(store: Store, value: int, box: tuple[int, int, int, int]) -> np.ndarray:
    out = np.zeros((store.height, store.width), np.uint16)
    y0, y1, x0, x1 = box
    out[y0:y1, x0:x1] = value
    return out


def test_edits_reach_readers_only_when_saved(tmp_path):
    store = new_store(tmp_path)
    knife = store.add_object("knife", 4)
    lab = _labels(store, knife, (5, 20, 10, 40))
    assert store.set_masks(3, lab, FrameState.MODEL)
    assert store.dirty
    reader = Store.open(store.path, read_only=True)
    assert reader.objects() == []
    assert not reader.read_frame(3).any()
    assert reader.frame_state(3) is FrameState.UNLABELLED
    assert np.array_equal(store.read_frame(3), lab)  # the writer reads its own edits
    store.save()
    assert not store.dirty
    assert np.array_equal(reader.read_frame(3), lab)
    assert reader.frame_state(3) is FrameState.MODEL
    assert [o.name for o in reader.objects()] == ["knife"]
    assert reader.objects_in_frames([3]) == {knife: 15 * 30}
    with pytest.raises(StoreError, match="read-only"):
        reader.set_masks(3, lab)
    reader.close()
    store.close()


def test_masks_are_a_plain_zarr_array_with_only_touched_chunks(tmp_path):
    with new_store(tmp_path) as store:
        obj = store.add_object("cup")
        store.set_masks(7, _labels(store, obj, (0, 10, 0, 10)))
        store.set_masks(9, _labels(store, obj, (10, 20, 0, 10)))
    arr = zarr.open_array(str(tmp_path / "clip.actionvos" / "masks.zarr"), mode="r")
    assert arr.shape == (40, 54, 96) and arr.dtype == np.uint16
    assert arr.chunks == (1, 54, 96)
    assert arr[7, :10, :10].min() == obj and arr[9].sum() == obj * 100
    root = tmp_path / "clip.actionvos" / "masks.zarr"
    chunks = sorted(p.parts[-3] for p in root.rglob("0") if p.is_file())
    assert chunks == ["7", "9"]


def test_discard_and_close_without_save_keep_the_last_save(tmp_path):
    store = new_store(tmp_path)
    obj = store.add_object("cup")
    store.set_masks(1, _labels(store, obj, (0, 5, 0, 5)))
    store.save()
    store.set_masks(1, _labels(store, obj, (5, 10, 0, 5)))
    store.add_object("pan")
    store.discard()
    assert [o.name for o in store.objects()] == ["cup"]
    assert store.read_frame(1)[:5, :5].all()
    store.set_masks(2, _labels(store, obj, (0, 5, 0, 5)))
    store.close(save=False)
    with Store.open(store.path, read_only=True) as again:
        assert again.labelled_frames() == [1]
        assert not any((store.path / "staging").iterdir())


def test_one_writer_at_a_time_but_readers_any_time(tmp_path):
    store = new_store(tmp_path)
    with pytest.raises(StoreError, match="already open for writing"):
        Store.open(store.path)
    with Store.open(store.path, read_only=True) as reader:
        assert reader.n_frames == 40
    store.close()
    Store.open(store.path).close()  # the lock went with the first writer


def test_model_output_never_replaces_human_work(tmp_path):
    with new_store(tmp_path) as store:
        a, b = store.add_object("knife"), store.add_object("left hand", 300)
        model = store.record_model("actionvos-r101", ModelRole.USED, checksum="abc")
        human = _labels(store, a, (0, 10, 0, 10))
        store.set_masks(4, human)
        assert not store.set_masks(4, _labels(store, b, (0, 30, 0, 30)), FrameState.MODEL)
        assert np.array_equal(store.read_frame(4), human)
        assert store.set_masks(5, _labels(store, b, (0, 30, 0, 30)), FrameState.MODEL,
                               model_id=model)  # fmt: skip
        assert store.frame_records()[1].model_id == model
        action = store.add_action("take knife", 0, 10, verb="take", noun="knife")
        store.set_activity(action, a, False, source=Source.HUMAN)
        store.set_activity(action, a, True, source=Source.MODEL, probability=0.9)
        flag = store.activity(action)[a]
        assert flag.active is False and flag.source is Source.HUMAN and flag.probability == 0.9
        store.set_activity(action, b, True, source=Source.RULE, reasons={"handbox": 1})
        store.set_activity(action, b, False, source=Source.MODEL, probability=0.1)
        assert store.activity(action)[b].source is Source.MODEL
        assert store.models()[0].name == "actionvos-r101"


def test_bad_edits_are_refused_and_change_nothing(tmp_path):
    with new_store(tmp_path) as store:
        obj = store.add_object("cup")
        store.save()
        with pytest.raises(InputError, match="not objects"):
            store.set_masks(0, _labels(store, 9, (0, 5, 0, 5)))
        with pytest.raises(InputError, match="shape"):
            store.set_masks(0, np.zeros((10, 10), np.uint16))
        with pytest.raises(InputError, match="outside the clip"):
            store.set_masks(40, _labels(store, obj, (0, 5, 0, 5)))
        with pytest.raises(InputError, match="already exists"):
            store.add_object("cup")
        with pytest.raises(InputError, match="ends"):
            store.add_action("x", 5, 2)
        with pytest.raises(InputError, match="still has pixels"):
            store.set_masks(0, _labels(store, obj, (0, 5, 0, 5)))
            store.remove_object(obj)
        assert store.labelled_frames() == [0]
        assert len(list((store.path / "staging").iterdir())) == 1  # frame 0's, not saved yet


def test_create_refuses_an_existing_path_and_lazy_masks_index_like_an_array(tmp_path):
    store = new_store(tmp_path)
    obj = store.add_object("cup")
    store.set_masks(2, _labels(store, obj, (1, 3, 1, 3)))
    lazy = store.masks
    assert lazy.shape == (40, 54, 96) and lazy.ndim == 3 and lazy.dtype == np.uint16
    assert lazy[2].sum() == 4 * obj and lazy[1:3].shape == (2, 54, 96)
    assert lazy[2, 1:3, 1:3].min() == obj
    store.close()
    with pytest.raises(StoreError, match="already exists"):
        new_store(tmp_path)
    assert default_store_path(tmp_path / "P01_107.MP4").name == "P01_107.MP4.actionvos"


def test_autosave_rewrites_only_the_changed_chunk(tmp_path):
    store = new_store(tmp_path)
    obj = store.add_object("cup")
    for f in range(6):
        store.set_masks(f, _labels(store, obj, (f, f + 5, 0, 10)), FrameState.MODEL)
    store.save()
    assert not store.autosave()  # nothing changed, nothing written
    before = {k: v for k, v in digest(store.path).items() if k.startswith("masks.zarr/c/")}
    store.set_masks(3, _labels(store, obj, (30, 40, 0, 10)))
    assert store.autosave()
    after = {k: v for k, v in digest(store.path).items() if k.startswith("masks.zarr/c/")}
    assert [k for k in after if after[k] != before.get(k)] == ["masks.zarr/c/3/0/0"]
    store.close()


def test_a_reader_never_sees_a_half_written_frame(tmp_path):
    store = new_store(tmp_path)
    ids = [store.add_object(f"o{i}") for i in range(4)]
    store.save()
    patterns = [_labels(store, ids[k % 4], (k, k + 20, 2 * k, 2 * k + 30)) for k in range(12)]
    valid = {p.tobytes() for p in patterns} | {np.zeros_like(patterns[0]).tobytes()}
    seen, stop = [], threading.Event()

    def read() -> None:
        with Store.open(store.path, read_only=True) as reader:
            while not stop.is_set():
                seen.append(reader.read_frame(0).tobytes())

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for p in patterns * 3:
            store.set_masks(0, p)
            store.save()
    finally:
        stop.set()
        thread.join()
    store.close()
    assert len(seen) > 10 and all(s in valid for s in seen)
