"""Undo and redo from the stored history: across reopening, three-way safe, linear."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from store_synthetic import new_store

from actionvos.store import FrameState, Source, Store
from actionvos.store.history import diff_masks, redo_mask, undo_mask


def _paint(lab: np.ndarray, value: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    out = lab.copy()
    out[y0:y1, x0:x1] = value
    return out


def test_undo_and_redo_survive_closing_the_store(tmp_path):
    store = new_store(tmp_path)
    knife, hand = store.add_object("knife", 4), store.add_object("left hand", 300)
    action = store.add_action("cut onion", 0, 30)
    model = np.zeros((54, 96), np.uint16)
    model[10:30, 10:40] = knife
    store.set_masks(5, model, FrameState.MODEL)
    store.set_activity(action, knife, False, source=Source.RULE, reasons={"handbox": 0})
    store.save()
    fixed = _paint(model, hand, 20, 40, 30, 60)
    store.set_masks(5, fixed)  # correction 1
    store.set_activity(action, knife, True)  # correction 2
    store.update_object(hand, name="right hand")  # correction 3
    store.close()

    store = Store.open(store.path)
    history = store.history()
    assert [c.status for c in history] == ["applied"] * 3
    assert history[0].frames == (5,) and set(history[0].object_ids) == {knife, hand}
    assert history[0].user and history[0].time
    assert store.undo().label == "edit object 'left hand'"
    assert store.object(hand).name == "left hand"
    store.undo()
    assert store.activity(action)[knife].active is False
    assert store.activity(action)[knife].source is Source.RULE
    store.undo()
    assert np.array_equal(store.read_frame(5), model)
    assert store.frame_state(5) is FrameState.MODEL
    assert store.undo() is None and not store.can_undo
    store.close()

    store = Store.open(store.path)
    assert np.array_equal(store.read_frame(5), model)  # the undo was saved
    assert store.redo() is not None
    assert np.array_equal(store.read_frame(5), fixed)
    assert store.frame_state(5) is FrameState.HUMAN
    store.redo()
    assert store.activity(action)[knife].active is True
    # A new correction makes the remaining undone step unreachable.
    store.set_masks(6, _paint(np.zeros_like(model), knife, 0, 5, 0, 5))
    assert not store.can_redo
    assert [c.status for c in store.history(include_discarded=True)] == [
        "applied", "applied", "discarded", "applied"
    ]  # fmt: skip
    store.close()


def test_undoing_an_old_correction_keeps_later_work_on_other_pixels(tmp_path):
    with new_store(tmp_path) as store:
        a, b = store.add_object("a"), store.add_object("b")
        base = np.zeros((54, 96), np.uint16)
        first = _paint(base, a, 0, 20, 0, 20)
        store.set_masks(1, first)
        second = _paint(first, b, 30, 50, 50, 90)  # another place, same frame
        store.set_masks(1, second)
        with store.correction("fix both"):  # a grouped correction is one undo step
            store.set_masks(2, first)
            store.set_masks(3, first)
        assert store.undo().frames == (2, 3)
        assert not store.read_frame(2).any() and not store.read_frame(3).any()
        # Undo the *first* correction directly through the three-way merge.
        diff = diff_masks(1, base, first)
        merged = undo_mask(store.read_frame(1), diff)
        assert not merged[:20, :20].any() and (merged[30:50, 50:90] == b).all()


def test_removed_object_comes_back_with_its_flags_on_undo(tmp_path):
    with new_store(tmp_path) as store:
        cup = store.add_object("cup", 9)
        action = store.add_action("take cup", 0, 10)
        store.set_activity(action, cup, True)
        store.remove_object(cup)
        assert store.objects() == [] and store.activity(action) == {}
        store.undo()
        assert store.object(cup).name == "cup" and store.activity(action)[cup].active is True
        store.redo()
        assert store.objects() == []


@settings(max_examples=60, deadline=None)
@given(
    before=arrays(np.uint16, (6, 7), elements=st.integers(0, 3)),
    after=arrays(np.uint16, (6, 7), elements=st.integers(0, 3)),
    later=arrays(np.uint16, (6, 7), elements=st.integers(0, 3)),
    touched=arrays(np.bool_, (6, 7)),
)
def test_three_way_undo_and_redo_properties(before, after, later, touched):
    diff = diff_masks(0, before, after)
    if diff is None:
        assert np.array_equal(before, after)
        return
    assert np.array_equal(undo_mask(after, diff), before)
    assert np.array_equal(redo_mask(before, diff), after)
    # Someone edits some pixels after the correction; undo must leave those alone.
    edited = np.where(touched, later, after).astype(np.uint16)
    undone = undo_mask(edited, diff)
    changed_since = edited != after
    assert np.array_equal(undone[changed_since], edited[changed_since])
    assert np.array_equal(undone[~changed_since], before[~changed_since])
