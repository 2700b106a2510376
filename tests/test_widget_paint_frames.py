"""Edited frames are read from napari's own paint events, for every kind of edit."""

from __future__ import annotations

import numpy as np
from napari.layers import Labels

from actionvos_napari.layers.paint_frames import frames_of_paint


def _recorder(layer: Labels) -> list[set[int]]:
    seen: list[set[int]] = []
    layer.events.paint.connect(lambda event: seen.append(frames_of_paint(event.value)))
    return seen


def test_brush_fill_and_setitem_report_the_frames_they_changed() -> None:
    data = np.zeros((8, 20, 20), np.uint8)
    data[2:6, 5:15, 5:15] = 1  # an object through frames 2..5
    layer = Labels(data)
    seen = _recorder(layer)

    layer.n_edit_dimensions = 3
    layer.brush_size = 3
    layer.paint((4, 10, 10), 2)  # a ball of radius 1.5 reaches frames 3..5
    changed = np.flatnonzero((np.asarray(layer.data) == 2).any(axis=(1, 2)))
    assert seen[-1] == set(changed.tolist()) == {3, 4, 5}

    layer.fill((2, 6, 6), 3)  # 3-D flood fill of the object's remaining pixels: frames 2..5
    assert seen[-1] == {2, 3, 4, 5}

    layer.n_edit_dimensions = 2
    layer.paint((7, 1, 1), 1)  # a 2-D stroke on one frame
    assert seen[-1] == {7}

    layer.data_setitem((np.array([0, 6]), np.array([0, 0]), np.array([0, 0])), 4)
    assert seen[-1] == {0, 6}
    with layer.block_history():  # several atoms in one history item
        layer.data_setitem((np.array([1]), np.array([2]), np.array([2])), 5)
        layer.paint((7, 15, 15), 5)
    assert seen[-1] == {1, 7}
