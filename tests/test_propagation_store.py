"""The ``propagated`` frame state: it ranks between model output and human work, survives a
save, is one undoable step, upgrades an older store in place, and never replaces human work."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from propagation_clips import textured_disc_clip
from store_synthetic import new_store

from actionvos.errors import InputError
from actionvos.propagation.propagate import PropagationResult
from actionvos.propagation.store_writer import paste_object, write_propagation
from actionvos.store import FrameState, Store
from actionvos.store.schema import DATABASE_FILE


def _box(store: Store, value: int, y0: int, x0: int, size: int = 10) -> np.ndarray:
    out = np.zeros((store.height, store.width), np.uint16)
    out[y0 : y0 + size, x0 : x0 + size] = value
    return out


def test_propagated_frames_rank_between_model_and_human(tmp_path):
    with new_store(tmp_path) as store:
        cup = store.add_object("cup")
        store.set_masks(1, _box(store, cup, 0, 0), FrameState.HUMAN)
        store.set_masks(2, _box(store, cup, 0, 0), FrameState.MODEL)
        # propagation never replaces human work, but does replace model output
        assert not store.set_masks(1, _box(store, cup, 5, 5), FrameState.PROPAGATED)
        assert store.set_masks(2, _box(store, cup, 5, 5), FrameState.PROPAGATED)
        # model output and pseudo-labels leave a propagated frame alone unless asked
        assert not store.set_masks(2, _box(store, cup, 9, 9), FrameState.MODEL)
        assert not store.set_masks(2, _box(store, cup, 9, 9), FrameState.PSEUDO)
        assert store.frame_state(2) is FrameState.PROPAGATED
        assert np.array_equal(store.read_frame(2), _box(store, cup, 5, 5))
        assert store.set_masks(
            2, _box(store, cup, 9, 9), FrameState.MODEL, overwrite_propagated=True
        )
        assert store.frame_state(2) is FrameState.MODEL
        # a person's edit replaces a propagated frame
        assert store.set_masks(3, _box(store, cup, 1, 1), FrameState.PROPAGATED)
        assert store.set_masks(3, _box(store, cup, 2, 2), FrameState.HUMAN)
        assert store.frame_state(3) is FrameState.HUMAN
        assert np.array_equal(store.read_frame(1), _box(store, cup, 0, 0))
    with Store.open(tmp_path / "clip.actionvos", read_only=True) as reader:
        assert reader.frame_state(1) is FrameState.HUMAN
        assert reader.labelled_frames([FrameState.PROPAGATED]) == []
        assert reader.format_version == 2  # it held a propagated frame once
        assert reader.check() == []


def test_write_propagation_is_one_undo_and_skips_human_frames(tmp_path):
    store = new_store(tmp_path)
    cup, lid = store.add_object("cup"), store.add_object("lid")
    both = _box(store, cup, 0, 0) + _box(store, lid, 30, 50)
    store.set_masks(4, both, FrameState.HUMAN)
    store.set_masks(5, both, FrameState.MODEL)
    store.set_masks(6, both, FrameState.MODEL)
    store.save()
    moved = _box(store, 1, 20, 20).astype(bool)
    result = PropagationResult(3, cup, masks={4: moved, 5: moved, 6: moved})
    assert write_propagation(store, result) == [5, 6]
    store.save()
    assert store.frame_state(4) is FrameState.HUMAN
    assert np.array_equal(store.read_frame(4), both)
    for t in (5, 6):
        assert store.frame_state(t) is FrameState.PROPAGATED
        labels = store.read_frame(t)
        assert np.array_equal(labels == cup, moved)  # the object moved ...
        assert np.array_equal(labels == lid, both == lid)  # ... the other one stayed
    assert store.history()[-1].frames == (5, 6)
    small = PropagationResult(3, cup, masks={5: np.ones((4, 4), bool)})
    with pytest.raises(InputError, match="the store holds 54x96 frames"):
        write_propagation(store, small)
    store.undo()
    assert [store.frame_state(t) for t in (5, 6)] == [FrameState.MODEL] * 2
    assert np.array_equal(store.read_frame(5), both)
    store.close()


def test_paste_object_paints_over_and_clears_the_old_pixels():
    labels = np.array([[1, 1, 2, 0]], np.uint16)
    mask = np.array([[False, False, True, True]])
    assert paste_object(labels, 1, mask).tolist() == [[0, 0, 1, 1]]
    assert labels.tolist() == [[1, 1, 2, 0]]  # the input is left as it was


def _make_format_1(path):
    """Rewrite a new store's frames table as actionvos 0.x made it (no propagated state)."""
    conn = sqlite3.connect(str(path / DATABASE_FILE))
    conn.executescript(
        """
        CREATE TABLE old_frames (
            frame INTEGER PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('model', 'pseudo-label', 'human-verified')),
            model_id INTEGER REFERENCES models(id),
            updated TEXT NOT NULL
        );
        INSERT INTO old_frames SELECT * FROM frames;
        DROP TABLE frames;
        ALTER TABLE old_frames RENAME TO frames;
        """
    )
    conn.close()


def test_a_format_1_store_is_upgraded_by_its_first_propagated_frame(tmp_path):
    with new_store(tmp_path) as store:
        cup = store.add_object("cup")
        store.set_masks(0, _box(store, cup, 0, 0), FrameState.HUMAN)
        assert store.format_version == 1  # nothing propagated yet: older readers still read it
    path = tmp_path / "clip.actionvos"
    _make_format_1(path)
    with Store.open(path) as store:
        assert store.format_version == 1
        assert store.set_masks(1, _box(store, cup, 3, 3), FrameState.PROPAGATED)
        assert store.format_version == 2
        store.discard()  # not saved: the upgrade goes with the edit
        assert store.format_version == 1
        assert store.set_masks(1, _box(store, cup, 3, 3), FrameState.PROPAGATED)
    with Store.open(path, read_only=True) as reader:
        assert reader.format_version == 2
        assert reader.frame_state(0) is FrameState.HUMAN
        assert reader.frame_state(1) is FrameState.PROPAGATED
        assert reader.check() == []


def test_propagate_in_store_follows_the_object_and_leaves_human_frames(tmp_path):
    from actionvos.propagation.flow import FlowCache
    from actionvos.propagation.propagate import PropagationRequest
    from actionvos.propagation.store_writer import propagate_in_store

    frames, truth = textured_disc_clip(n_frames=8)
    with Store.create(tmp_path / "disc.actionvos", n_frames=8, height=72, width=120) as store:
        disc = store.add_object("disc")
        for t in range(8):
            store.set_masks(t, np.zeros((72, 120), np.uint16), FrameState.MODEL)
        store.set_masks(3, truth[3].astype(np.uint16) * disc, FrameState.HUMAN)
        store.set_masks(6, truth[6].astype(np.uint16) * disc, FrameState.HUMAN)
        store.save()
        before = store.read_frame(6)
        settings = PropagationRequest(3, np.zeros((1, 1), bool), disc, min_confidence=0.0)
        result, written = propagate_in_store(store, FlowCache(frames), settings)
        assert written == [0, 1, 2, 4, 5] == result.frames
        assert "frame 6 is human-verified" in result.stopped[1]
        assert np.array_equal(store.read_frame(6), before)
        for t in written:
            assert store.frame_state(t) is FrameState.PROPAGATED
            got = store.read_frame(t) == disc
            assert (got & truth[t]).sum() / (got | truth[t]).sum() > 0.85
        store.undo()
        assert all(store.frame_state(t) is FrameState.MODEL for t in written)
