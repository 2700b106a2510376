"""The plugin in a real napari viewer (Xvfb + Mesa): widget, sample data, readers."""

from __future__ import annotations

import numpy as np
import pytest

from actionvos.io import write_video

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


def _dock(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    return widget


def test_widget_is_in_the_plugins_menu(make_napari_viewer) -> None:
    viewer = make_napari_viewer()
    menus = {a.text(): a.menu() for a in viewer.window._qt_window.menuBar().actions()}
    entries = [a.text() for a in menus["&Plugins"].actions()]
    assert "ActionVOS segment (ActionVOS)" in entries, entries
    action = next(a for a in menus["&Plugins"].actions() if a.text().startswith("ActionVOS"))
    action.trigger()
    from actionvos_napari.widget import SegmentWidget

    docked = list(viewer.window.dock_widgets.values())
    assert any(isinstance(w, SegmentWidget) for w in docked), docked


def test_widget_is_in_layers_segment_actionvos(make_napari_viewer) -> None:
    viewer = make_napari_viewer()
    menus = {a.text(): a.menu() for a in viewer.window._qt_window.menuBar().actions()}
    segment = next(a.menu() for a in menus["&Layers"].actions() if a.text() == "Segment")
    ours = next(a.menu() for a in segment.actions() if a.text() == "ActionVOS")
    (entry,) = [a for a in ours.actions() if a.text()]
    assert entry.text() == "ActionVOS segment (ActionVOS)"
    entry.trigger()
    from actionvos_napari.widget import SegmentWidget

    docked = list(viewer.window.dock_widgets.values())
    assert any(isinstance(w, SegmentWidget) for w in docked), docked


def test_widget_shows_facts_of_the_sample_clip(make_napari_viewer) -> None:
    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    kinds = sorted(type(layer).__name__ for layer in viewer.layers)
    assert kinds == ["Image", "Labels", "Labels"]
    image = viewer.layers["kitchen demo"]
    widget = _dock(viewer)
    t, h, w = image.data.shape[:3]
    assert widget.clip_box.frames_label.text() == str(t)
    assert widget.clip_box.size_label.text() == f"{w} × {h}"
    active = viewer.layers["kitchen demo active"]
    inactive = viewer.layers["kitchen demo inactive"]
    assert active.data.max() > 0
    # an object is in exactly one of the two layers
    assert not np.any((np.asarray(active.data) > 0) & (np.asarray(inactive.data) > 0))
    # the table explains the pseudo-labels before any model runs
    names = active.metadata["actionvos"]["object_names"]
    assert widget.table.rowCount() == len(names)
    assert widget.action_box.objects.value == ", ".join(names)
    # each mask layer says what its labels are (napari shows features under the cursor)
    for layer in (active, inactive):
        assert list(layer.features["index"]) == list(range(1, len(names) + 1))
        assert list(layer.features["name"]) == names
        assert list(layer.features["active"]) == active.metadata["actionvos"]["active"]
        assert list(layer.features["source"]) == ["pseudo-label"] * len(names)
    for row, flag in enumerate(active.metadata["actionvos"]["active"]):
        assert widget.table.is_active(row) == flag
        why = widget.table.item(row, 3).text()
        assert ("rule:" in why) if flag else (why == "no rule applies")


def test_reader_opens_a_video_lazily(make_napari_viewer, tmp_path) -> None:
    yy, xx = np.mgrid[0:96, 0:128]
    frames = np.stack(
        [
            np.dstack([(xx * 2 + 5 * t) % 256, (yy * 2) % 256, np.full_like(xx, 40 * (t % 6))])
            for t in range(20)
        ]
    ).astype(np.uint8)
    path = write_video(tmp_path / "clip.mp4", frames, fps=25.0)
    viewer = make_napari_viewer()
    layers = viewer.open(str(path), plugin="actionvos-napari")
    assert len(layers) == 1
    layer = layers[0]
    assert layer.rgb and layer.data.shape == (20, 96, 128, 3)
    widget = _dock(viewer)
    assert widget.clip_box.frames_label.text() == "20"
    assert widget.clip_box.fps_label.text() == "25"
    assert widget.clip_box.path_label.text() == str(path)
    viewer.dims.set_current_step(0, 13)
    shown = np.asarray(layer.data[13]).astype(int)
    assert np.abs(shown - frames[13]).mean() < 6


def test_reader_error_names_the_file(tmp_path) -> None:
    from actionvos.errors import ClipError
    from actionvos_napari.readers import get_reader

    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video")
    reader = get_reader(str(bad))
    assert reader is not None
    with pytest.raises(ClipError, match="broken.mp4"):
        reader(str(bad))


def test_reader_opens_an_actionvos_dataset_with_masks(make_napari_viewer, tmp_path) -> None:
    import json

    from PIL import Image

    from actionvos.palette import write_palette_png

    seq = {
        "seq_id": 7,
        "video": "P01_01",
        "narration": "cut apple",
        "verb": "cut",
        "noun": "apple",
        "start": 10,
        "end": 20,
        "sparse_frames": ["frame_0000000011.jpg", "frame_0000000015.jpg"],
        "object_classes": {
            "1": {"name": "apple", "class_id": 8, "handbox": 1, "narration": 1, "positive": 1},
            "2": {"name": "cup", "class_id": 13, "handbox": 0, "narration": 0, "positive": 0},
        },
    }
    folder = "00000007_P01_01_cut_apple"
    (tmp_path / "ImageSets").mkdir()
    (tmp_path / "ImageSets" / "val.json").write_text(json.dumps([seq]))
    images = tmp_path / "JPEGImages_Sparse" / "val" / folder
    masks = tmp_path / "Annotations_Sparse" / "val" / folder
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    for name in seq["sparse_frames"]:
        Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(images / name)
        labels = np.zeros((48, 64), np.uint8)
        labels[5:20, 5:20] = 1
        labels[30:40, 40:60] = 2
        write_palette_png(masks / name.replace(".jpg", ".png"), labels)

    viewer = make_napari_viewer()
    layers = viewer.open(str(images), plugin="actionvos-napari")
    by_name = {layer.name: layer for layer in layers}
    assert set(by_name) == {folder, f"{folder} active", f"{folder} inactive"}
    active = np.asarray(by_name[f"{folder} active"].data)
    inactive = np.asarray(by_name[f"{folder} inactive"].data)
    assert active.shape == (2, 48, 64)
    assert set(np.unique(active)) == {0, 1} and set(np.unique(inactive)) == {0, 2}
    widget = _dock(viewer)
    assert widget.action_box.narration.value == "cut apple"


def test_review_window_shows_several_table_rows(make_napari_viewer, qtbot) -> None:
    from actionvos_napari.app.window import REVIEW_SIZE, fit_window

    viewer = make_napari_viewer(show=True)
    viewer.open_sample("actionvos-napari", "kitchen")
    widget = _dock(viewer)
    size = fit_window(viewer)
    assert size == REVIEW_SIZE  # Xvfb's screen is larger than the review size
    qtbot.waitUntil(lambda: widget.table.viewport().height() > 0, timeout=5_000)
    qtbot.wait(100)
    rows = widget.table.viewport().height() // widget.table.rowHeight(0)
    assert rows >= 6, rows


def test_review_window_shows_the_whole_frame(make_napari_viewer, qtbot) -> None:
    """Docking the panel and resizing the window narrow the canvas; the clip is fitted to
    the canvas it ends up in, not cut off at the sides (the view napari fitted first)."""
    from actionvos_napari.app.window import fit_window

    viewer = make_napari_viewer(show=True)
    viewer.open_sample("actionvos-napari", "kitchen")
    dock, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    fit_window(viewer, dock=dock)
    feed = widget.confidence_feed  # the sample's masks start a refresh: let it end first
    qtbot.waitUntil(lambda: feed.fresh and feed.worker is None, timeout=10_000)
    qtbot.wait(100)  # whatever layout is still pending lands first
    canvas_h, canvas_w = viewer.canvas.size
    height, width = viewer.layers[0].data.shape[1:3]
    zoom = viewer.scene.camera.zoom
    assert zoom * width <= canvas_w + 1, (zoom, canvas_w)
    assert zoom * height <= canvas_h + 1
    assert zoom * width >= 0.8 * canvas_w  # fitted, not just shrunk


def _wide_viewer_with_clip(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(show=True)
    viewer.window._qt_window.resize(1600, 1050)
    qtbot.wait(100)
    viewer.open_sample("actionvos-napari", "kitchen")
    viewer.reset_view()  # napari's own fit on the wide canvas, as after opening a clip
    return viewer


def _dock_narrow(viewer, qtbot):
    from qtpy.QtCore import Qt

    from actionvos_napari.app.window import PANEL_WIDTH

    dock, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    viewer.window._qt_window.resizeDocks([dock], [PANEL_WIDTH], Qt.Horizontal)
    feed = widget.confidence_feed  # the sample's masks start a refresh: let it end first
    qtbot.waitUntil(lambda: feed.fresh and feed.worker is None, timeout=10_000)
    qtbot.wait(100)
    return widget


def test_docking_the_panel_keeps_the_whole_frame_in_view(make_napari_viewer, qtbot) -> None:
    viewer = _wide_viewer_with_clip(make_napari_viewer, qtbot)
    width = viewer.layers[0].data.shape[2]
    fitted_wide = viewer.scene.camera.zoom
    assert fitted_wide * width <= viewer.canvas.size[1] + 1  # the whole frame, before the panel
    _dock_narrow(viewer, qtbot)
    canvas_w = viewer.canvas.size[1]
    assert fitted_wide * width > canvas_w  # at the old zoom the panel cut it off
    zoom = viewer.scene.camera.zoom
    assert zoom * width <= canvas_w + 1, (zoom, canvas_w)
    assert zoom * width >= 0.8 * canvas_w  # fitted again, not shrunk


def test_docking_the_panel_keeps_a_zoomed_in_view(make_napari_viewer, qtbot) -> None:
    viewer = _wide_viewer_with_clip(make_napari_viewer, qtbot)
    viewer.scene.camera.zoom = 6.0  # a person looking closely at part of the frame
    viewer.scene.camera.center = (0, 100, 150)
    _dock_narrow(viewer, qtbot)
    assert viewer.scene.camera.zoom == 6.0
    assert tuple(viewer.scene.camera.center)[1:] == (100, 150)
