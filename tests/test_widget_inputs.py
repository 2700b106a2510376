"""The panel's inputs beyond the action: Open clip…, precision and the device used, the
p(active) layer, and autosave."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QFileDialog
from widget_support import dock, fill_action, random_clip, run_and_wait, tiny_model

from actionvos.io import write_video
from actionvos.store import FrameState, Store

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def test_open_clip_button_opens_a_video_lazily_and_refuses_a_non_clip(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
) -> None:
    video = write_video(tmp_path / "clip.mp4", random_clip(5), fps=10.0)
    picked = {"path": str(video)}
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (picked["path"], ""))
    )
    viewer = make_napari_viewer()
    widget = dock(viewer)
    qtbot.mouseClick(widget.clip_box.open_button, Qt.LeftButton)
    assert "clip.mp4" in viewer.layers
    assert widget.clip_layer().name == "clip.mp4"
    assert widget.clip_box.frames_label.text() == "5"
    assert widget.clip_box.path_label.text() == str(video)

    junk = tmp_path / "notes.txt"
    junk.write_text("not a video")
    picked["path"] = str(junk)
    qtbot.mouseClick(widget.clip_box.open_button, Qt.LeftButton)
    assert "cannot open" in widget.status.text() and str(junk) in widget.status.text()
    assert len(viewer.layers) == 1  # nothing was added, the clip stays


def test_precision_the_device_used_and_the_probability_layer(
    make_napari_viewer, qtbot, model_dir
) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(4), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple", threshold=0.0)
    box = widget.action_box
    box.precision.value = "fp32"
    box.probability_layer.value = True
    assert "not run yet" in box.ran_on.value
    run_and_wait(widget, qtbot)
    assert widget.session.outcome.request.precision == "fp32"
    assert box.ran_on.value == "cpu, fp32"
    assert "on cpu, fp32" in widget.status.text()
    assert np.asarray(viewer.layers["clip active"].data).max() > 0
    layer = viewer.layers["clip p(active)"]
    result = widget.session.outcome.result
    np.testing.assert_allclose(
        np.asarray(layer.data[2]), result.probabilities(2).max(axis=0), rtol=1e-6
    )
    assert layer.data.shape == (4, 48, 64)
    # the probability image is not mistaken for the clip: a second run still works
    viewer.layers.selection.active = layer
    assert widget.clip_layer().name == "clip"
    run_and_wait(widget, qtbot)
    assert widget.session.outcome is not None and "done" in widget.status.text()


def test_autosave_saves_once_the_edits_pause(make_napari_viewer, qtbot, model_dir, tmp_path):
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(4), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple", threshold=0.0)
    run_and_wait(widget, qtbot)
    path = tmp_path / "clip.actionvos"
    widget.store_box.path.setText(str(path))
    widget.store_box.autosave.setChecked(True)
    active = viewer.layers["clip active"]
    viewer.dims.set_current_step(0, 1)
    with qtbot.waitSignal(widget.save_done, timeout=20_000):
        active.paint((1, 10, 10), 1)
        active.paint((1, 20, 20), 1)  # a burst of strokes: one save after the pause
    assert not widget.session.unsaved, widget.status.text()
    with Store.open(path, read_only=True) as store:
        assert store.frame_state(1) is FrameState.HUMAN
        assert store.read_frames([1])[0][20, 20] == 1
