"""A tilted camera: the scene as seen from lower down, applied to rendered frames.

The renderer draws the table as if the camera looked straight down. ``Tilt`` resamples each
frame so the near (bottom) part is magnified and the far (top) part squeezed, as a camera
tilted towards the horizon sees a table plane; the scene also moves up. Every output pixel
samples a point inside the rendered frame, so nothing outside it is ever needed. Labels use
the nearest source pixel, colours bilinear interpolation, so masks stay exact labels.
"""

from __future__ import annotations

import numpy as np


class Tilt:
    """Resample frames of ``size`` with tilt strength ``k`` (0 < k < 1; 0.25 is strong)."""

    def __init__(self, size: tuple[int, int], k: float):
        h, w = size
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        y, x = yy + 0.5, xx + 0.5  # pixel centres
        # source row: squeezed at the top (slope 1 + k), magnified at the bottom (1 - k)
        sy = y * (1.0 + k) - k * y * y / h
        # source column: rows towards the bottom see a narrower strip (magnified)
        sx = w / 2 + (x - w / 2) * (1.0 - k * y / h)
        self.near = (
            np.clip(np.floor(sy), 0, h - 1).astype(np.intp),
            np.clip(np.floor(sx), 0, w - 1).astype(np.intp),
        )
        fy = np.clip(sy - 0.5, 0, h - 1)
        fx = np.clip(sx - 0.5, 0, w - 1)
        y0 = np.minimum(np.floor(fy).astype(np.intp), h - 2)
        x0 = np.minimum(np.floor(fx).astype(np.intp), w - 2)
        self.y0, self.x0 = y0, x0
        self.wy = (fy - y0).astype(np.float32)[..., None]
        self.wx = (fx - x0).astype(np.float32)[..., None]

    def labels(self, lab: np.ndarray) -> np.ndarray:
        """A label image (any dtype) seen through the tilt."""
        return lab[self.near]

    def rgb(self, rgb: np.ndarray) -> np.ndarray:
        """A float RGB frame [H, W, 3] seen through the tilt (bilinear)."""
        y0, x0, wy, wx = self.y0, self.x0, self.wy, self.wx
        top = rgb[y0, x0] * (1 - wx) + rgb[y0, x0 + 1] * wx
        bottom = rgb[y0 + 1, x0] * (1 - wx) + rgb[y0 + 1, x0 + 1] * wx
        return top * (1 - wy) + bottom * wy
