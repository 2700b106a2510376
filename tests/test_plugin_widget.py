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
    from napari._app_model import get_app_model

    make_napari_viewer()
    titles = []
    for menu_id in get_app_model().menus._menu_items:
        for item in get_app_model().menus.get_menu(menu_id):
            command = getattr(item, "command", None)
            if command is not None:
                titles.append((str(menu_id), command.title))
    assert any("plugins" in m and t == "ActionVOS segment" for m, t in titles), titles


def test_widget_shows_facts_of_the_sample_clip(make_napari_viewer) -> None:
    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    kinds = sorted(layer._type_string for layer in viewer.layers)
    assert kinds == ["image", "labels", "labels"]
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
