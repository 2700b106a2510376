"""Reopening a label store: File › Open on a ``.actionvos`` folder continues the work."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from widget_support import dock, fill_action, random_clip, tiny_model

from actionvos.io import write_video
from actionvos.store import FrameState, Source, Store

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def _wait(signal, qtbot, button):
    with qtbot.waitSignal(signal, timeout=120_000):
        qtbot.mouseClick(button, Qt.LeftButton)


@pytest.fixture
def saved_store(make_napari_viewer, qtbot, model_dir, tmp_path):
    """Run the model on a video, flip one object, paint over two frames, Save."""
    clip_path = write_video(tmp_path / "clip.mp4", random_clip(6), fps=10.0)
    viewer = make_napari_viewer()
    viewer.open(str(clip_path), plugin="actionvos-napari")
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple, bowl", threshold=0.0)
    _wait(widget.run_done, qtbot, widget.run_button)
    active = viewer.layers["clip.mp4 active"]
    inactive = viewer.layers["clip.mp4 inactive"]
    assert np.asarray(active.data).max() > 0, widget.status.text()
    qtbot.mouseClick(widget.next_button, Qt.LeftButton)  # review starts with one object
    assert len(widget.rows.reviewed) == 1
    widget.table.check(2, False)  # bowl: inactive, by a person
    viewer.dims.set_current_step(0, 2)
    active.n_edit_dimensions = 3
    active.brush_size = 3
    active.paint((2, 10, 10), 1)
    assert active.metadata["actionvos"]["edited_frames"] == [1, 2, 3]
    store_path = tmp_path / "clip.mp4.actionvos"
    assert widget.store_box.path.text() == str(store_path)  # the default, beside the clip
    _wait(widget.save_done, qtbot, widget.store_box.save_button)
    assert not widget.session.unsaved, widget.status.text()
    saved = {
        "active": np.array(active.data, copy=True),
        "inactive": np.array(inactive.data, copy=True),
        "probs": list(widget.rows.probs),
        "path": store_path,
        "clip": clip_path,
    }
    viewer.close()
    return saved


def test_reopen_brings_back_clip_masks_flags_and_states(
    make_napari_viewer, qtbot, saved_store
) -> None:
    viewer = make_napari_viewer()
    layers = viewer.open(str(saved_store["path"]), plugin="actionvos-napari")
    assert [lyr.name for lyr in layers] == ["clip.mp4", "clip.mp4 active", "clip.mp4 inactive"]
    clip, active, inactive = layers
    assert clip.rgb and clip.data.shape == (6, 48, 64, 3)
    np.testing.assert_array_equal(active.data, saved_store["active"])
    np.testing.assert_array_equal(inactive.data, saved_store["inactive"])
    assert not np.any((np.asarray(active.data) > 0) & (np.asarray(inactive.data) > 0))
    features = active.features
    assert list(features["name"]) == ["knife", "apple", "bowl"]
    assert list(features["active"]) == [True, True, False]
    np.testing.assert_allclose(features["probability"], saved_store["probs"], rtol=1e-5)
    assert list(features["source"]) == ["model", "model", "human"]
    assert "by you" in features["reasons"][2]
    meta = active.metadata["actionvos"]
    assert meta["frame_states"] == ["model", "human-verified", "human-verified",
                                    "human-verified", "model", "model"]  # fmt: skip
    for k in (1, 2, 3):  # same ids, same colours in both layers
        np.testing.assert_array_equal(
            active.colormap.color_dict[k], inactive.colormap.color_dict[k]
        )

    # the widget continues: same store, the action typed in, the table filled
    widget = dock(viewer)
    assert widget.store_box.path.text() == str(saved_store["path"])
    assert widget.action_box.narration.value == "cut apple"
    assert widget.action_box.objects.value == "knife, apple, bowl"
    assert widget.table.rowCount() == 3
    assert not widget.table.is_active(2) and widget.table.is_active(0)
    assert "by you" in widget.table.reason(2)

    # one more correction and Save: model frames stay model frames, the rest is untouched
    viewer.dims.set_current_step(0, 5)
    inactive.paint((5, 30, 30), 3)
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        qtbot.mouseClick(widget.store_box.save_button, Qt.LeftButton)
    assert not widget.session.unsaved, widget.status.text()
    with Store.open(saved_store["path"], read_only=True) as store:
        assert len(store.actions()) == 1
        states = [store.frame_state(t) for t in range(6)]
        assert states == [FrameState.MODEL] + [FrameState.HUMAN] * 3 + [
            FrameState.MODEL,
            FrameState.HUMAN,
        ]
        flags = store.activity(store.actions()[0].id)
        assert [flags[k].source for k in (1, 2, 3)] == [Source.MODEL, Source.MODEL, Source.HUMAN]
        assert store.read_frame(5)[30, 30] == 3


def test_a_missing_clip_reopens_the_masks_with_a_warning(
    make_napari_viewer, saved_store, monkeypatch
) -> None:
    import actionvos_napari.store_reader as reader

    warned: list[str] = []
    monkeypatch.setattr(reader, "show_warning", warned.append)
    saved_store["clip"].unlink()
    viewer = make_napari_viewer()
    layers = viewer.open(str(saved_store["path"]), plugin="actionvos-napari")
    assert [lyr.name for lyr in layers] == ["clip active", "clip inactive"]
    assert len(warned) == 1 and "missing" in warned[0] and "clip.mp4" in warned[0]
    np.testing.assert_array_equal(layers[0].data, saved_store["active"])
