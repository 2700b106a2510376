"""Keep the whole clip in view when the canvas narrows under it.

napari fits a clip to the canvas when its first layer arrives. Docking the ActionVOS panel
afterwards (Plugins › ActionVOS segment) narrows the canvas but keeps the zoom, so a 640x360
frame lost a fifth of its width off the sides, objects of the action among them. The panel
watches the canvas's size (``viewer.canvas.events.size``): when it shrinks so that a frame
that was wholly in view no longer is, the view is fitted again. A view the person zoomed
into (the frame already larger than the canvas) is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: pixels of slack when comparing the frame on screen with the canvas (rounding)
SLACK = 1.0


class ClipInView:
    """Refits ``viewer``'s view when a shrinking canvas cuts off a frame that fitted."""

    def __init__(self, viewer: Any) -> None:
        self.viewer = viewer
        self.size = tuple(viewer.canvas.size)  # (height, width) in screen pixels

    def resized(self, event: Any = None) -> None:
        old, self.size = self.size, tuple(self.viewer.canvas.size)
        if self.cut_off(old, self.size):
            self.viewer.reset_view()

    def cut_off(self, old: tuple[int, int], new: tuple[int, int]) -> bool:
        """Whether going from canvas size ``old`` to ``new`` (height, width) hides part of a
        frame that was all in view."""
        frame = self.frame_on_screen()
        if frame is None or min(old) <= 0:
            return False
        rows, cols = frame
        was_whole = rows <= old[0] + SLACK and cols <= old[1] + SLACK
        is_whole = rows <= new[0] + SLACK and cols <= new[1] + SLACK
        return was_whole and not is_whole

    def frame_on_screen(self) -> tuple[float, float] | None:
        """(height, width) in screen pixels of the layers' 2-D extent at the current zoom."""
        viewer = self.viewer
        if viewer.dims.ndisplay != 2 or len(viewer.layers) == 0:
            return None
        extent = viewer.layers.extent
        axes = list(viewer.dims.displayed)
        world = np.asarray(extent.world, dtype=float)
        step = np.asarray(extent.step, dtype=float)
        rows, cols = (world[1, axes] - world[0, axes] + step[axes]) * viewer.scene.camera.zoom
        return float(rows), float(cols)


def keep_clip_in_view(viewer: Any) -> Callable[[], None]:
    """Start watching ``viewer``'s canvas (see the module docstring); returns the function
    that stops it (the panel calls it when it is destroyed)."""
    keeper = ClipInView(viewer)
    viewer.canvas.events.size.connect(keeper.resized)

    def stop(*_: Any) -> None:
        viewer.canvas.events.size.disconnect(keeper.resized)

    return stop
