"""Corrections in the widget: multi-frame strokes, undoable toggles, re-runs, errors, saving."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from widget_support import ctrl_z, dock, fill_action, random_clip, tiny_model

from actionvos.store import FrameState, Store

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def _click_run(widget, qtbot):
    with qtbot.waitSignal(widget.run_done, timeout=120_000):
        qtbot.mouseClick(widget.run_button, Qt.LeftButton)


def _click_save(widget, qtbot, path):
    widget.store_box.path.setText(str(path))
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        qtbot.mouseClick(widget.store_box.save_button, Qt.LeftButton)


def test_a_stroke_through_frames_verifies_every_frame_it_touched(
    make_napari_viewer, qtbot, tmp_path
) -> None:
    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    widget = dock(viewer)
    active = viewer.layers["kitchen demo active"]
    before = np.array(active.data, copy=True)
    viewer.dims.set_current_step(0, 10)
    active.n_edit_dimensions = 3
    active.brush_size = 5
    label = 1
    active.paint((10, 30, 30), label)
    touched = sorted(np.flatnonzero((np.asarray(active.data) != before).any(axis=(1, 2))))
    assert len(touched) > 1, touched
    assert active.metadata["actionvos"]["edited_frames"] == touched
    assert widget.session.unsaved

    path = tmp_path / "kitchen.actionvos"
    _click_save(widget, qtbot, path)
    assert not widget.session.unsaved, widget.status.text()
    with Store.open(path, read_only=True) as store:
        states = {t: store.frame_state(t) for t in range(store.n_frames)}
    assert [t for t, s in states.items() if s is FrameState.HUMAN] == touched
    assert states[touched[0] - 1] is FrameState.PSEUDO


def test_a_toggle_is_onectrl_z(make_napari_viewer, qtbot) -> None:
    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    widget = dock(viewer)
    active = viewer.layers["kitchen demo active"]
    inactive = viewer.layers["kitchen demo inactive"]
    flags = list(active.metadata["actionvos"]["active"])
    k = flags.index(False)
    a0, i0 = np.array(active.data, copy=True), np.array(inactive.data, copy=True)
    assert np.any(i0 == k + 1)

    widget.table.check(k, True)
    assert np.array_equal(np.asarray(active.data) == k + 1, i0 == k + 1)
    assert not np.any(np.asarray(inactive.data) == k + 1)
    assert active.features["active"][k]
    # a flag is not a painted frame
    assert active.metadata["actionvos"].get("edited_frames", []) == []

    ctrl_z(viewer, active, qtbot)  # one key press undoes both layers and the flag
    np.testing.assert_array_equal(active.data, a0)
    np.testing.assert_array_equal(inactive.data, i0)
    assert not widget.table.is_active(k)
    assert not active.features["active"][k]
    assert "human" not in active.metadata["actionvos"]

    ctrl_z(viewer, inactive, qtbot, shift=True)  # redo from the other layer
    assert not np.any(np.asarray(inactive.data) == k + 1)
    assert widget.table.is_active(k)

    # a person's stroke on one layer is its own step, undone before the toggle
    viewer.dims.set_current_step(0, 3)
    inactive.paint((3, 40, 40), 2)
    ctrl_z(viewer, inactive, qtbot)
    assert widget.table.is_active(k)
    ctrl_z(viewer, inactive, qtbot)
    assert not widget.table.is_active(k)
    np.testing.assert_array_equal(inactive.data, i0)


def test_a_second_run_with_more_objects_shows_the_new_one(
    make_napari_viewer, qtbot, model_dir
) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple", threshold=0.0)
    _click_run(widget, qtbot)
    active = viewer.layers["clip active"]
    assert np.asarray(active.data).max() > 0, widget.status.text()
    assert set(active.colormap.color_dict) >= {1, 2}

    fill_action(widget, model_dir, "cut apple", "knife, apple, bowl, cup", threshold=0.0)
    _click_run(widget, qtbot)
    assert viewer.layers["clip active"] is active  # same layer, same name
    assert active.metadata["actionvos"]["object_names"] == ["knife", "apple", "bowl", "cup"]
    shown = set(np.unique(np.asarray(active.data))) - {0}
    assert shown, "the second run shows no active object"
    for k in shown:  # every object on screen has an opaque colour
        assert active.colormap.color_dict[k][3] == 1.0
    assert list(active.features["name"]) == ["knife", "apple", "bowl", "cup"]
    assert widget.table.rowCount() == 4

    # the run's output is itself one undoable step: Ctrl-Z brings the first run back
    ctrl_z(viewer, active, qtbot)
    assert active.metadata["actionvos"]["object_names"] == ["knife", "apple"]
    assert widget.table.rowCount() == 2


def test_a_bug_in_the_worker_keeps_its_traceback(
    make_napari_viewer, qtbot, model_dir, monkeypatch
) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife", threshold=0.0)

    def broken_engine(self, request):
        raise RuntimeError("a bug deep in the engine")

    monkeypatch.setattr(type(widget.session.engines), "get", broken_engine)
    with qtbot.capture_exceptions() as raised:
        _click_run(widget, qtbot)
    assert len(raised) == 1
    _, exc, tb = raised[0]
    assert isinstance(exc, RuntimeError)
    names = []
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "broken_engine" in names  # the worker's frames are still there
    assert "traceback" in widget.status.text()


def test_an_expected_problem_is_a_notification(make_napari_viewer, qtbot, tmp_path) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, tmp_path / "no-such-model", "cut apple", "knife", threshold=0.0)
    with qtbot.capture_exceptions() as raised:
        _click_run(widget, qtbot)
    assert raised == []
    assert "does not exist" in widget.status.text()
    assert "clip active" not in viewer.layers


def test_painting_during_a_save_stays_unsaved(make_napari_viewer, qtbot, tmp_path) -> None:
    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    widget = dock(viewer)
    active = viewer.layers["kitchen demo active"]
    viewer.dims.set_current_step(0, 2)
    active.paint((2, 10, 10), 1)
    path = tmp_path / "k.actionvos"
    widget.store_box.path.setText(str(path))
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        worker = widget.save()
        assert worker is not None, widget.status.text()
        inactive = viewer.layers["kitchen demo inactive"]
        copied = np.where(active.data[2] > 0, active.data[2], inactive.data[2])[50, 50]
        active.paint((2, 50, 50), 3)  # while the worker writes its copy
        assert active.data[2, 50, 50] == 3 != copied
    assert widget.session.unsaved
    assert "not saved yet" in widget.status.text()
    with Store.open(path, read_only=True) as store:
        saved = store.read_frame(2)
        names = [o.name for o in store.objects()]
    assert names == active.metadata["actionvos"]["object_names"]  # store ids = label values
    assert saved[10, 10] == 1
    assert saved[50, 50] == copied  # the save wrote the copy taken when Save was pressed


def test_the_model_can_be_a_folder_or_a_file(make_napari_viewer, qtbot, monkeypatch, tmp_path):
    from qtpy.QtWidgets import QFileDialog

    viewer = make_napari_viewer()
    widget = dock(viewer)
    row = widget.action_box.checkpoint
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    qtbot.mouseClick(row.folder_button, Qt.LeftButton)
    assert row.text() == str(tmp_path)
    seen = {}

    def pick_file(parent, caption, start, filters):
        seen["filters"] = filters
        return str(tmp_path / "lite" / "model.safetensors"), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick_file)
    qtbot.mouseClick(row.file_button, Qt.LeftButton)
    assert row.text() == str(tmp_path / "lite")  # a model.safetensors stands for its folder
    assert "*.pth" in seen["filters"] and "*.safetensors" in seen["filters"]


def test_the_action_form_is_a_magicgui_form(make_napari_viewer, qtbot, tmp_path) -> None:
    viewer = make_napari_viewer()
    widget = dock(viewer)
    box = widget.action_box
    labels = [w.label for w in box.form]
    assert labels == ["Store action", "Narration", "Objects", "Run on", "First frame",
                      "Last frame", "Text encoder", "Device", "Precision", "Runs on",
                      "Threshold θ", "Resolution (0 = model's)", ""]  # fmt: skip
    # the registry offers the shipped model by name, and it is the default
    assert box.checkpoint.text() == "lite" and box.checkpoint.combo.findText("lite") >= 0
    qtbot.keyClicks(box.narration.native, "Cut   apple")
    qtbot.keyClicks(box.objects.native, "knife; apple")
    box.checkpoint.edit.setText("lite")
    request = box.request()
    assert (request.narration, request.objects, request.model) == (
        "Cut apple",
        ("knife", "apple"),
        "lite",
    )
    assert request.text_encoder is None
    assert request.short_side is None  # 0: the model's own resolution
    box.text_encoder.value = tmp_path
    box.device.value = "cpu"
    request = box.request()
    assert (request.text_encoder, request.device) == (str(tmp_path), "cpu")


def test_run_on_the_current_frame_or_a_range_keeps_the_other_frames(
    make_napari_viewer, qtbot, model_dir
) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(5), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple, bowl", threshold=0.0)
    box = widget.action_box
    box.scope.value = "current frame"
    viewer.dims.set_current_step(0, 1)
    _click_run(widget, qtbot)
    outcome = widget.session.outcome
    assert outcome is not None, widget.status.text()
    assert outcome.result.num_frames == 1 and list(outcome.frames) == [1]
    active = viewer.layers["clip active"]
    data = np.asarray(active.data)
    assert data.shape[0] == 5
    assert data[1].max() > 0  # real output on the frame on screen
    np.testing.assert_array_equal(data[1], outcome.result.label_map(0, 0.0))
    assert not data[[0, 2, 3, 4]].any()  # nothing ran there, and nothing was there before

    whole = np.array(data, copy=True)
    box.scope.value = "frame range"
    box.set_range(2, 4)
    _click_run(widget, qtbot)
    outcome = widget.session.outcome
    assert list(outcome.frames) == [2, 3, 4]
    data = np.asarray(active.data)
    np.testing.assert_array_equal(data[1], whole[1])  # frame 1 kept its masks
    assert all(data[t].max() > 0 for t in (2, 3, 4))
    box.threshold.value = 1.0  # re-gating a part run re-gates only its frames
    data = np.asarray(active.data)
    np.testing.assert_array_equal(data[1], whole[1])
    assert not data[2:].any()

    box.set_range(3, 9)
    widget.run()
    assert "not inside the clip" in widget.status.text()


def test_a_new_action_run_on_a_range_is_saved_with_that_range(
    make_napari_viewer, qtbot, model_dir, tmp_path
) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(6), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "wash knife", "knife, apple", threshold=0.0)
    widget.action_box.scope.value = "frame range"
    widget.action_box.set_range(2, 4)
    _click_run(widget, qtbot)
    assert np.asarray(viewer.layers["clip active"].data)[2:5].max() > 0, widget.status.text()
    path = tmp_path / "clip.actionvos"
    _click_save(widget, qtbot, path)
    with Store.open(path, read_only=True) as store:
        actions = [(a.narration, a.start_frame, a.end_frame) for a in store.actions()]
    assert actions == [("wash knife", 2, 4)]
