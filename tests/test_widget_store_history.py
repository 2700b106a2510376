"""The Store history section: the store's corrections, Store undo / redo through the real
buttons (the layers follow the store), refused over unsaved edits, and the EPIC-100 import."""

from __future__ import annotations

import numpy as np
import pytest
from digest import store_digest
from qtpy.QtCore import Qt
from store_synthetic import VIDEO, write_narrations
from widget_support import ctrl_z, dock

import actionvos_napari.store.history as store_history
from actionvos.sample import make_kitchen_clip, write_sample
from actionvos.store import FrameState, Source, Store

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]

N_FRAMES = 6


@pytest.fixture
def model_store(tmp_path):
    """A store of model output only (no history yet): six frames, one action, model flags."""
    clip = make_kitchen_clip(4, n_frames=N_FRAMES, size=(120, 160))
    frames = write_sample(clip, tmp_path / "clip", video=False, masks=False)["frames"]
    path = tmp_path / "clip.actionvos"
    h, w = clip.size
    with Store.create(
        path, n_frames=N_FRAMES, height=h, width=w, clip=frames, video=VIDEO
    ) as store:
        action = store.add_action(clip.narration, 0, N_FRAMES - 1)
        names = dict(enumerate(clip.object_names, start=1))
        store.save_layers(clip.masks, names, state=FrameState.MODEL, save=False)
        for k, flag in enumerate(clip.active, start=1):
            store.set_activity(action, k, bool(flag), source=Source.MODEL, probability=0.5)
    with Store.open(path, read_only=True) as store:
        assert store.history() == []
    return path, clip


def _open(make_napari_viewer, qtbot, path):
    viewer = make_napari_viewer()
    viewer.open(str(path), plugin="actionvos-napari")
    widget = dock(viewer)
    box = widget.history_box
    qtbot.waitUntil(lambda: box.view is not None and box.view.exists, timeout=10_000)
    return viewer, widget, box


def _blank_spot(pair, frame: int, r: int = 4) -> tuple[int, int]:
    """A pixel of ``frame`` with nothing labelled around it, so a stroke there stays put."""
    merged = np.asarray(pair.active.data[frame]) + np.asarray(pair.inactive.data[frame])
    for y in range(r, merged.shape[0] - r):
        for x in range(r, merged.shape[1] - r):
            if not merged[y - r : y + r + 1, x - r : x + r + 1].any():
                return y, x
    raise AssertionError("no empty spot")


def _paint(viewer, layer, frame: int, label: int, spot: tuple[int, int]) -> None:
    viewer.dims.set_current_step(0, frame)
    layer.brush_size = 3
    layer.paint((frame, *spot), label)


def _save(widget, qtbot) -> None:
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        qtbot.mouseClick(widget.store_box.save_button, Qt.LeftButton)
    assert not widget.session.unsaved, widget.status.text()


def _copies(pair) -> tuple[np.ndarray, np.ndarray]:
    return np.array(pair.active.data, copy=True), np.array(pair.inactive.data, copy=True)


def _store_masks(path) -> np.ndarray:
    with Store.open(path, read_only=True) as store:
        return store.read_frames(range(N_FRAMES))


def test_two_saves_listed_undo_and_redo_move_store_and_layers_together(
    make_napari_viewer, qtbot, model_store
) -> None:
    path, clip = model_store
    viewer, widget, box = _open(make_napari_viewer, qtbot, path)
    assert box.labels() == []
    assert not box.undo_button.isEnabled() and not box.redo_button.isEnabled()
    pair = widget.pair
    on = clip.active.index(True) + 1  # an active object's label, painted in the active layer
    off = clip.active.index(False) + 1

    _paint(viewer, pair.active, 1, on, _blank_spot(pair, 1))
    _save(widget, qtbot)
    qtbot.waitUntil(lambda: len(box.labels()) == 1, timeout=10_000)
    first = _copies(pair)
    _paint(viewer, pair.inactive, 3, off, _blank_spot(pair, 3))
    _save(widget, qtbot)
    qtbot.waitUntil(lambda: len(box.labels()) == 2, timeout=10_000)
    second = _copies(pair)
    assert not np.array_equal(first[1], second[1])

    # newest first: the second save (frame 3) above the first (frame 1)
    assert box.labels() == [f"save in napari: {clip.narration}"] * 2
    assert box.statuses() == ["applied", "applied"]
    assert [box.table.item(r, 3).text() for r in range(2)] == ["3", "1"]
    assert box.undo_button.isEnabled() and not box.redo_button.isEnabled()

    qtbot.mouseClick(box.undo_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: box.statuses() == ["undone", "applied"], timeout=30_000)
    assert not widget.jobs.busy
    np.testing.assert_array_equal(pair.active.data, first[0])
    np.testing.assert_array_equal(pair.inactive.data, first[1])
    stored = _store_masks(path)
    np.testing.assert_array_equal(stored, np.where(first[0] > 0, first[0], first[1]))
    with Store.open(path, read_only=True) as store:
        assert store.can_redo and store.frame_state(3) is FrameState.MODEL
        assert store.frame_state(1) is FrameState.HUMAN
    assert pair.active.metadata["actionvos"]["frame_states"][3] == "model"
    assert not widget.session.unsaved  # the layers are the store: nothing to save
    assert box.undo_button.isEnabled() and box.redo_button.isEnabled()
    assert "store undo" in widget.status.text()
    ctrl_z(viewer, pair.active, qtbot)  # the layers' history starts anew
    np.testing.assert_array_equal(pair.inactive.data, first[1])
    np.testing.assert_array_equal(pair.active.data, first[0])
    assert not widget.session.unsaved

    qtbot.mouseClick(box.redo_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: box.statuses() == ["applied", "applied"], timeout=30_000)
    np.testing.assert_array_equal(pair.active.data, second[0])
    np.testing.assert_array_equal(pair.inactive.data, second[1])
    np.testing.assert_array_equal(_store_masks(path), np.where(second[0] > 0, second[0], second[1]))
    assert not box.redo_button.isEnabled()
    assert pair.active.metadata["actionvos"]["frame_states"][3] == "human-verified"
    viewer.close()

    # a reopen lists the same two corrections
    _, _, again = _open(make_napari_viewer, qtbot, path)
    assert again.statuses() == ["applied", "applied"]


def test_store_undo_over_unsaved_edits_is_refused_and_changes_nothing(
    make_napari_viewer, qtbot, model_store
) -> None:
    path, clip = model_store
    viewer, widget, box = _open(make_napari_viewer, qtbot, path)
    pair = widget.pair
    label = clip.active.index(True) + 1
    _paint(viewer, pair.active, 2, label, _blank_spot(pair, 2))
    _save(widget, qtbot)
    qtbot.waitUntil(box.undo_button.isEnabled, timeout=10_000)
    _paint(viewer, pair.active, 4, label, _blank_spot(pair, 4))  # not saved
    assert widget.session.unsaved
    before = store_digest(path)
    layers = _copies(pair)
    worker = widget.worker

    qtbot.mouseClick(box.undo_button, Qt.LeftButton)
    assert "Save or discard first" in widget.status.text()
    assert widget.worker is worker and not widget.jobs.busy  # no job was started
    qtbot.wait(300)
    assert store_digest(path) == before
    np.testing.assert_array_equal(pair.active.data, layers[0])
    np.testing.assert_array_equal(pair.inactive.data, layers[1])
    assert widget.session.unsaved


def _patch_picker(monkeypatch, csv_path) -> list:
    asked: list = []

    def pick(*args, **kwargs):
        asked.append(args)
        return str(csv_path), ""

    monkeypatch.setattr(store_history.QFileDialog, "getOpenFileName", pick)
    return asked


def _narration(nid: str, video: str, start: int, stop: int, text: str) -> dict:
    verb, noun = text.split(" ", 1)
    return {"narration_id": nid, "video_id": video, "start_frame": start, "stop_frame": stop,
            "narration": text, "verb": verb, "noun": noun, "all_nouns": f"['{noun}']",
            "all_noun_classes": "[1]"}  # fmt: skip


def test_import_epic_csv_offers_the_new_actions_and_switching_works(
    make_napari_viewer, qtbot, model_store, tmp_path, monkeypatch
) -> None:
    path, clip = model_store
    csv_path = write_narrations(
        tmp_path,
        [
            _narration(f"{VIDEO}_10", VIDEO, 2, 4, "open lid"),
            _narration(f"{VIDEO}_11", VIDEO, 3, 9, "wash knife"),  # cut at the clip's end
            _narration("P99_01_0", "P99_01", 1, 5, "open door"),  # another video
        ],
    )
    asked = _patch_picker(monkeypatch, csv_path)
    viewer, widget, box = _open(make_napari_viewer, qtbot, path)
    picker = widget.action_box.store_action
    assert picker.native.isHidden()  # one action: nothing to choose yet

    qtbot.mouseClick(box.import_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "imported" in widget.status.text(), timeout=30_000)
    assert len(asked) == 1
    assert "imported 2 narrations" in widget.status.text(), widget.status.text()
    with Store.open(path, read_only=True) as store:
        actions = store.actions()
    assert [a.narration for a in actions] == [clip.narration, "open lid", "wash knife"]
    assert [(a.start_frame, a.end_frame) for a in actions[1:]] == [(1, 3), (2, 5)]
    assert list(picker.choices) == [a.id for a in actions]
    assert not picker.native.isHidden()
    assert picker.value == actions[0].id  # still the action on screen

    picker.value = actions[1].id  # as choosing it in the combo box does
    assert widget.action_box.narration.value == "open lid"
    assert widget.pair.active.metadata["actionvos"]["action_id"] == actions[1].id
    assert widget.rows.active == [False] * len(clip.object_names)  # no flags imported
    assert not np.asarray(widget.pair.active.data).any()


def test_a_csv_without_the_stores_video_asks_which_video(
    make_napari_viewer, qtbot, model_store, tmp_path, monkeypatch
) -> None:
    path, _ = model_store
    csv_path = write_narrations(tmp_path, [_narration("P99_01_0", "P99_01", 1, 5, "open door")])
    _patch_picker(monkeypatch, csv_path)
    offered: list = []

    def choose(parent, title, text, items, *args):
        offered.append((text, list(items)))
        return "P99_01", True

    monkeypatch.setattr(store_history.QInputDialog, "getItem", choose)
    _, widget, box = _open(make_napari_viewer, qtbot, path)
    qtbot.mouseClick(box.import_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "imported" in widget.status.text(), timeout=30_000)
    assert len(offered) == 1
    assert f"no narrations of video {VIDEO}" in offered[0][0] and offered[0][1] == ["P99_01"]
    assert "of video P99_01" in widget.status.text()
    with Store.open(path, read_only=True) as store:
        assert sorted(a.narration for a in store.actions()) == ["cut bread", "open door"]


def test_import_without_a_saved_store_is_refused_before_any_dialog(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
) -> None:
    asked = _patch_picker(monkeypatch, tmp_path / "EPIC_100_train.csv")
    viewer = make_napari_viewer()
    widget = dock(viewer)
    widget.store_box.path.setText(str(tmp_path / "nothing.actionvos"))
    qtbot.mouseClick(widget.history_box.import_button, Qt.LeftButton)
    assert "no saved label store yet" in widget.status.text()
    assert asked == [] and widget.worker is None
    assert not (tmp_path / "nothing.actionvos").exists()
