"""Propagate in the widget: button and shortcut, one Ctrl-Z, saved as ``propagated``; the
confidence strip and Next to review's jump to the least confident frame."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from propagation_clips import textured_disc_clip
from qtpy.QtCore import Qt
from widget_support import ctrl_z, dock, fill_action, tiny_model

from actionvos.errors import InputError
from actionvos.propagation.confidence import least_confident
from actionvos.propagation.flow import FlowCache
from actionvos.propagation.propagate import PropagationResult
from actionvos.store import FrameState, Store
from actionvos_napari.app.session import Session
from actionvos_napari.app.shortcuts import SHORTCUTS
from actionvos_napari.layers.convert import clip_meta, mask_layers
from actionvos_napari.propagate.job import (
    frame_states,
    keep_propagated,
    paste_into_layers,
    propagate_object,
    strip_confidence,
)

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]

N_FRAMES = 12
IOU_5_FRAMES_ON = 0.8  # the flow carries the disc to within a few boundary pixels


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny", objects=["disc", "cup"])


@pytest.fixture(scope="module")
def disc():
    """RGB frames of a textured disc sliding right 3 px a frame, and its true masks."""
    frames, truth = textured_disc_clip(n_frames=N_FRAMES)
    rgb = np.repeat((frames * 255).astype(np.uint8)[..., None], 3, axis=-1)
    return rgb, truth


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _person_paints(layer, frame: int, mask: np.ndarray, label: int) -> None:
    """A person's correction: object ``label`` on ``frame`` becomes exactly ``mask``.

    Goes through ``data_setitem`` outside the widget's steps, so napari emits the same paint
    event a brush stroke does (one history item, the frame becomes human-verified).
    """
    old = np.asarray(layer.data)[frame]
    new = np.where(mask, label, np.where(old == label, 0, old)).astype(old.dtype)
    rows, cols = np.nonzero(new != old)
    layer.data_setitem((np.full(rows.size, frame), rows, cols), new[rows, cols])


def _strip_settled(widget, qtbot) -> np.ndarray:
    """Wait until the confidence strip answers the latest change; its values."""
    qtbot.waitUntil(
        lambda: widget.confidence_feed.fresh and widget.confidence_feed.worker is None,
        timeout=60_000,
    )
    return widget.strip.values


# --- the Qt-free job --------------------------------------------------------------------------
def test_paste_replaces_the_object_and_leaves_other_objects_alone() -> None:
    active = np.zeros((3, 4, 4), np.uint8)
    inactive = np.zeros_like(active)
    active[1, 0, :] = 1  # the object's old pixels on frame 1
    inactive[1, 1:3, 1:3] = 2  # another object, in the other layer
    active[1, 3, 3] = 3  # and a third, in the same layer
    mask = np.zeros((4, 4), bool)
    mask[1:4, 1:4] = True
    result = PropagationResult(0, 1, masks={1: mask, 2: mask}, confidence={1: 0.9, 2: 0.8})
    new_a, new_i, written = paste_into_layers(active, inactive, result, True, skip=[2])
    assert written == [1]
    assert not new_a[1, 0].any()  # old pixels gone
    assert (new_a[1][mask & (inactive[1] == 0) & (active[1] != 3)] == 1).all()
    assert (new_i[1, 1:3, 1:3] == 2).all() and new_a[1, 3, 3] == 3  # not painted over
    assert not new_a[2].any()  # skipped: a person verified it meanwhile
    assert not active[1, 1, 1]  # the inputs are untouched


def test_a_regate_keeps_propagated_masks_in_the_layer_the_gate_chooses() -> None:
    previous = (np.zeros((2, 3, 3), np.uint8), np.zeros((2, 3, 3), np.uint8))
    previous[0][1, 0, :] = 1  # propagated on frame 1, active then
    previous[0][0, 2, 2] = 1
    active, inactive = np.zeros_like(previous[0]), np.zeros_like(previous[0])
    inactive[:, 1, :] = 1  # the new θ turns it inactive, with the model's own masks
    inactive[1, 0, 0] = 2
    keep_propagated(active, inactive, previous, {"1": {"0": 0.7}})
    assert not active.any()
    np.testing.assert_array_equal(inactive[1], [[1, 1, 1], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(inactive[0, 1], [1, 1, 1])  # other frames: the model's


def test_frame_states_follow_paint_records_and_source() -> None:
    act = {"source": "model", "edited_frames": [1]}
    inact = {"source": "model", "edited_frames": [3]}
    assert frame_states(act, inact, 4) == [
        FrameState.MODEL,
        FrameState.HUMAN,
        FrameState.MODEL,
        FrameState.HUMAN,
    ]
    act = {"source": "store", "frame_states": ["propagated", "unlabelled"], "edited_frames": []}
    assert frame_states(act, {}, 2) == [FrameState.PROPAGATED, FrameState.UNLABELLED]


def test_the_job_stops_at_human_frames_uses_the_model_and_reuses_flows(disc) -> None:
    rgb, truth = disc
    labels = truth.astype(np.uint8)
    session = Session()
    flows = session.flow_cache(rgb)
    asked: list[int] = []

    def probabilities(t: int) -> np.ndarray:
        asked.append(t)
        return np.stack([truth[t].astype(np.float32), np.zeros(truth.shape[1:], np.float32)])

    result = propagate_object(rgb, labels, 0, 4, {8}, flows, probabilities)
    assert result.frames == [0, 1, 2, 3, 5, 6, 7]
    assert result.stopped[1] == "frame 8 is human-verified"
    assert sorted(set(asked)) == result.frames  # the model's map of each reached frame
    assert session.flow_cache(rgb) is flows  # the same clip: the flows are kept
    session.keep_flows_of(rgb.copy())  # another clip
    assert session.flows is None
    with pytest.raises(InputError, match="no pixels on frame 4"):
        propagate_object(rgb, np.zeros_like(labels), 0, 4, set(), flows)


# --- the widget -------------------------------------------------------------------------------
def test_propagate_button_carries_a_painted_object_in_one_undoable_step(
    make_napari_viewer, qtbot, model_dir, disc, tmp_path
) -> None:
    rgb, truth = disc
    viewer = make_napari_viewer()
    viewer.add_image(rgb, name="disc", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "move disc", "disc", threshold=0.0)
    with qtbot.waitSignal(widget.run_done, timeout=120_000):
        qtbot.mouseClick(widget.run_button, Qt.LeftButton)
    active, inactive = viewer.layers["disc active"], viewer.layers["disc inactive"]
    assert widget.rows is not None and widget.rows.active == [True], widget.status.text()
    human = np.zeros(truth.shape[1:], bool)
    human[2:12, 2:12] = True  # clearly not where the disc goes
    _person_paints(active, 2, truth[2], 1)
    _person_paints(active, 9, human, 1)
    assert active.metadata["actionvos"]["edited_frames"] == [2, 9]
    a0, i0 = np.array(active.data, copy=True), np.array(inactive.data, copy=True)

    viewer.dims.set_current_step(0, 2)
    viewer.layers.selection.active = active
    active.selected_label = 1
    with qtbot.waitSignal(widget.propagate_done, timeout=120_000):
        qtbot.mouseClick(widget.propagate_button, Qt.LeftButton)
    status = widget.status.text()
    assert "to 8 frames (0–1, 3–8" in status, status
    assert "forward: frame 9 is human-verified" in status, status
    assert "backward: end of the clip" in status, status
    data = np.asarray(active.data)
    assert _iou(data[7] == 1, truth[7]) > IOU_5_FRAMES_ON, status  # five frames on
    assert _iou(data[0] == 1, truth[0]) > IOU_5_FRAMES_ON, status
    np.testing.assert_array_equal(data[9], a0[9])  # the human frame is not overwritten
    np.testing.assert_array_equal(data[2], a0[2])
    np.testing.assert_array_equal(data[10:], a0[10:])
    meta = active.metadata["actionvos"]
    reached = [0, 1, 3, 4, 5, 6, 7, 8]
    assert [t for t, s in enumerate(meta["frame_states"]) if s == "propagated"] == reached
    assert meta["frame_states"][10] == "model"  # made from the layers' source
    assert inactive.metadata["actionvos"]["frame_states"] == meta["frame_states"]
    assert sorted(meta["propagated_confidence"], key=int) == [str(t) for t in reached]
    assert widget.session.unsaved
    flows = widget.session.flows
    assert flows is not None and flows.frames is viewer.layers["disc"].data

    ctrl_z(viewer, active, qtbot)  # one Ctrl-Z takes the whole propagation back
    np.testing.assert_array_equal(active.data, a0)
    np.testing.assert_array_equal(inactive.data, i0)
    assert "frame_states" not in active.metadata["actionvos"]
    assert "propagated_confidence" not in active.metadata["actionvos"]
    ctrl_z(viewer, active, qtbot)  # the next one is the person's stroke on frame 9
    assert not np.array_equal(np.asarray(active.data)[9], a0[9])

    ctrl_z(viewer, active, qtbot, shift=True)
    ctrl_z(viewer, active, qtbot, shift=True)  # the propagation is back
    assert active.metadata["actionvos"]["frame_states"] == meta["frame_states"]
    assert np.array_equal(np.asarray(active.data)[9], a0[9])

    # a second propagation reuses the clip's flows
    viewer.dims.set_current_step(0, 5)
    with qtbot.waitSignal(widget.propagate_done, timeout=120_000):
        qtbot.mouseClick(widget.propagate_button, Qt.LeftButton)
    assert widget.session.flows is flows, widget.status.text()

    # a new θ re-gates from the model but keeps the propagated masks, as it keeps painted ones
    widget.action_box.threshold.value = 0.9
    merged = np.where(np.asarray(active.data) > 0, active.data, inactive.data)
    assert _iou(merged[7] == 1, truth[7]) > IOU_5_FRAMES_ON
    np.testing.assert_array_equal(merged[9] == 1, human)

    path = tmp_path / "disc.actionvos"
    widget.store_box.path.setText(str(path))
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        qtbot.mouseClick(widget.store_box.save_button, Qt.LeftButton)
    assert not widget.session.unsaved, widget.status.text()
    with Store.open(path, read_only=True) as store:
        states = [store.frame_state(t) for t in range(store.n_frames)]
        saved = store.read_frames(range(store.n_frames))
    assert [t for t, s in enumerate(states) if s is FrameState.PROPAGATED] == reached
    assert [t for t, s in enumerate(states) if s is FrameState.HUMAN] == [2, 9]
    assert states[10] is FrameState.MODEL and states[11] is FrameState.MODEL
    assert _iou(saved[7] > 0, truth[7]) > IOU_5_FRAMES_ON
    _strip_settled(widget, qtbot)


def _drifting_layers(truth: np.ndarray) -> list[tuple]:
    """Model-like masks of the disc: right, but missing on frame 2 and drifting off from
    frame 5; a still cup in a corner."""
    masks = np.zeros(truth.shape, np.uint8)
    for t in range(truth.shape[0]):
        if t != 2:
            masks[t][np.roll(truth[t], 10 * max(t - 4, 0), axis=1)] = 1
    masks[:, 55:70, 100:118] = 2
    extra = {"narration": "move disc", "source": "model"}
    return mask_layers(masks, ["disc", "cup"], [True, False], "disc", extra)


def test_shortcut_strip_and_next_to_review(make_napari_viewer, qtbot, disc) -> None:
    rgb, truth = disc
    viewer = make_napari_viewer()
    n, h, w = truth.shape
    viewer.add_image(rgb, name="disc", rgb=True, metadata=clip_meta(None, n, 10.0, h, w))
    for data, kwargs, _ in _drifting_layers(truth):
        viewer.add_labels(data, **kwargs)
    widget = dock(viewer)
    active = viewer.layers["disc active"]
    before = _strip_settled(widget, qtbot)
    assert before is not None and before.shape == (N_FRAMES, 2)  # one row per object
    assert widget.strip.names == ["disc", "cup"]
    assert widget.strip.height() >= 2 * 12
    assert np.all(before[:, 1] == 1.0)  # the cup never moves: fully stable
    assert before[2, 0] == 0.0  # the disc's mask is missing there
    assert before[6, 0] < 0.5  # and jumps about from frame 5

    # a person fixes the disc on frames 5 and 8, then presses G on frame 8
    _person_paints(active, 5, truth[5], 1)
    _person_paints(active, 8, truth[8], 1)
    viewer.dims.set_current_step(0, 8)
    viewer.layers.selection.active = active
    active.selected_label = 1
    canvas = viewer.window._qt_viewer.canvas.native
    canvas.setFocus()
    with qtbot.waitSignal(widget.propagate_done, timeout=120_000):
        qtbot.keyClick(canvas, Qt.Key_G)
    status = widget.status.text()
    assert "propagated from frame 8 to 5 frames" in status, status
    assert "backward: frame 5 is human-verified" in status, status
    after = _strip_settled(widget, qtbot)
    trust = active.metadata["actionvos"]["propagated_confidence"]
    assert sorted(int(t) for t in trust) == [6, 7, 9, 10, 11]
    for t in trust:  # a propagated frame shows its propagation's confidence
        assert after[int(t), 0] == pytest.approx(trust[t]["0"])
        assert after[int(t), 0] != pytest.approx(before[int(t), 0])
    assert after[5, 0] == 1.0 and after[8, 0] == 1.0  # painted: human-verified
    assert _iou(np.asarray(active.data)[11] == 1, truth[11]) > IOU_5_FRAMES_ON

    # Next to review: the disc first (no probabilities: object order), at its least
    # confident frame that nobody verified
    expected = least_confident(after, skip_frames=[5, 8], objects=[0])[0]
    first = int(np.flatnonzero((np.asarray(active.data) == 1).any(axis=(1, 2)))[0])
    assert expected == 2 and first == 0  # the old behaviour showed the first frame
    viewer.dims.set_current_step(0, 7)
    qtbot.mouseClick(widget.next_button, Qt.LeftButton)
    assert widget.rows.reviewed == {0}
    assert viewer.dims.current_step[0] == expected, widget.status.text()
    assert "least confident frame, 2" in widget.status.text()
    qtbot.mouseClick(widget.next_button, Qt.LeftButton)  # the cup: still all along
    assert widget.rows.reviewed == {0, 1}
    assert "cup: no frame looks doubtful" in widget.status.text(), widget.status.text()

    # a click on the strip selects that object and shows that frame
    cell = widget.strip.cell_rect(1, 4).center()
    qtbot.mouseClick(widget.strip, Qt.LeftButton, pos=cell)
    assert viewer.dims.current_step[0] == 4
    assert viewer.layers.selection.active is viewer.layers["disc inactive"]
    assert viewer.layers["disc inactive"].selected_label == 2
    assert widget.table.index_at(widget.table.currentRow()) == 1

    # an undo and a paint stroke refresh the strip
    ctrl_z(viewer, active, qtbot)
    undone = _strip_settled(widget, qtbot)
    assert "propagated_confidence" not in active.metadata["actionvos"]
    assert undone[6, 0] < 0.5 and undone[2, 0] == 0.0
    _person_paints(active, 2, truth[2], 1)
    assert _strip_settled(widget, qtbot)[2, 0] == 1.0


def test_cancel_stops_a_propagation_and_writes_nothing(
    make_napari_viewer, qtbot, disc, monkeypatch
) -> None:
    rgb, truth = disc
    viewer = make_napari_viewer()
    n, h, w = truth.shape
    viewer.add_image(rgb, name="disc", rgb=True, metadata=clip_meta(None, n, 10.0, h, w))
    for data, kwargs, _ in _drifting_layers(truth):
        viewer.add_labels(data, **kwargs)
    widget = dock(viewer)
    active = viewer.layers["disc active"]
    before = np.array(active.data, copy=True)
    release = threading.Event()
    compute = FlowCache._compute

    def held(self, dst: int, src: int) -> np.ndarray:
        assert release.wait(30), "the test never released the flow"
        return compute(self, dst, src)

    monkeypatch.setattr(FlowCache, "_compute", held)  # the first frame waits for Cancel
    viewer.dims.set_current_step(0, 3)
    viewer.layers.selection.active = active
    active.selected_label = 1
    with qtbot.waitSignal(widget.propagate_done, timeout=60_000):
        qtbot.mouseClick(widget.propagate_button, Qt.LeftButton)
        assert widget.cancel_button.isEnabled() and not widget.propagate_button.isEnabled()
        qtbot.mouseClick(widget.cancel_button, Qt.LeftButton)
        release.set()
    assert "cancelled; nothing was changed" in widget.status.text()
    np.testing.assert_array_equal(active.data, before)
    assert "frame_states" not in active.metadata["actionvos"]
    assert widget.propagate_button.isEnabled() and not widget.cancel_button.isEnabled()
    _strip_settled(widget, qtbot)


def test_propagate_key_is_free_in_napari_and_bound(make_napari_viewer) -> None:
    from napari.layers import Labels

    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((2, 4, 4), np.uint8))
    (shortcut,) = [s for s in SHORTCUTS if s.action == "propagate"]
    napari_keys = {str(k) for k in Labels.class_keymap} | {str(k) for k in viewer.keymap}
    napari_keys |= {str(k) for k in type(viewer).class_keymap}
    assert shortcut.label not in napari_keys, napari_keys
    widget = dock(viewer)
    assert shortcut.label in {str(k) for k in viewer.keymap}
    assert shortcut.what in widget.help_label.text()


def test_propagate_without_masks_says_what_to_do(make_napari_viewer, disc) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(disc[0], name="disc", rgb=True)
    widget = dock(viewer)
    assert widget.propagate() is None
    assert "mask layers first" in widget.status.text()


def test_strip_confidence_scores_human_frames_one(disc) -> None:
    _, truth = disc
    labels = truth.astype(np.uint8)
    states = [FrameState.MODEL] * N_FRAMES
    states[3] = FrameState.HUMAN
    states[5] = FrameState.PROPAGATED
    conf = strip_confidence(labels, np.zeros_like(labels), 1, states, propagated={"5": {"0": 0.25}})
    assert conf.shape == (N_FRAMES, 1)
    assert conf[3, 0] == 1.0 and conf[5, 0] == 0.25
