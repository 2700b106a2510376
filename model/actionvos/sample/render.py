"""Draw the frames of a planned clip: a static layer once, moving things per frame.

Objects that never change are composited once onto the table (with their shadows) over a
canvas a little larger than the frame; each frame crops that canvas at the camera shake's
offset and draws only what moves, then the hands. Labels are painted in the same order, so
each mask is exactly the visible part of its object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from actionvos.sample.hands import HandLook, hand_models
from actionvos.sample.motion import HandTrack, ObjectTrack
from actionvos.sample.scene import Model, Pose, cast_shadow, paint, rasterize


@dataclass
class Drawable:
    """An object ready to draw: its label id (1-based), model and track."""

    label: int
    model: Model
    track: ObjectTrack
    lifted: bool = False  # drawn above every still object (it is carried)


class Renderer:
    """Renders frame i of a clip; build once, call :meth:`frame` per frame."""

    def __init__(
        self,
        table: np.ndarray,
        margin: int,
        size: tuple[int, int],
        objects: list[Drawable],
        hands: list[tuple[HandLook, HandTrack]],
        shake: np.ndarray,
        unit: float,
        extras=None,
        acting_last: int | None = None,
    ):
        self.h, self.w = size
        self.m = margin
        self.shake = shake
        self.unit = unit
        self.extras = extras
        self.shadow = (max(1, round(0.012 * unit)), max(1, round(0.018 * unit)))
        order = sorted(objects, key=lambda d: (d.lifted, d.model.layer, d.label))
        self.static = [d for d in order if not d.track.moves()]
        self.dynamic = [d for d in order if d.track.moves()]
        self.hands = sorted(hands, key=lambda h: h[0].side == acting_last)
        win = (-margin, -margin, self.h + 2 * margin, self.w + 2 * margin)
        self.base_rgb = table.astype(np.float32).copy()
        self.base_lab = np.zeros(table.shape[:2], dtype=np.uint16)
        for d in self.static:
            ras = rasterize(d.model, d.track.pose(0), win)
            if ras is None:
                continue
            cast_shadow(self.base_rgb, ras, *self.shadow)
            paint(self.base_rgb, ras, self.base_lab, d.label)

    def frame(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Float RGB [H, W, 3], labels uint16 [H, W] and hand mask uint8 [H, W] of frame i."""
        ox, oy = int(self.shake[i, 0]), int(self.shake[i, 1])
        sl = (slice(oy + self.m, oy + self.m + self.h), slice(ox + self.m, ox + self.m + self.w))
        rgb = self.base_rgb[sl].copy()
        lab = self.base_lab[sl].copy()
        win = (ox, oy, self.h, self.w)
        sx, sy = self.shadow
        for d in self.dynamic:
            pose = d.track.pose(i)
            ras = rasterize(d.model, pose, win)
            if ras is None:
                continue
            k = 1.0 + 6.0 * max(pose.scale - 1.0, 0.0)
            cast_shadow(rgb, ras, round(sx * k), round(sy * k))
            paint(rgb, ras, lab, d.label)
        if self.extras is not None:
            for model, pose in self.extras(i):
                ras = rasterize(model, pose, win)
                if ras is not None:
                    paint(rgb, ras)
        hand = np.zeros((self.h, self.w), dtype=np.uint8)
        for look, track in self.hands:
            skin, sleeve, pose = hand_models(look, track.palm[i], track.base[i], track.grip[i])
            self._hand(rgb, lab, hand, skin, sleeve, pose, win, look.side)
        return rgb, lab, hand

    def _hand(self, rgb, lab, hand, skin: Model, sleeve: Model | None, pose: Pose, win, side):
        ras = rasterize(skin, pose, win)
        if ras is None:
            return
        sx, sy = self.shadow
        cast_shadow(rgb, ras, round(sx * 2.5), round(sy * 2.5), 0.25)
        paint(rgb, ras)
        h, w = ras.mask.shape
        sl = (slice(ras.y0, ras.y0 + h), slice(ras.x0, ras.x0 + w))
        lab[sl][ras.mask] = 0
        hand[sl][ras.mask] = side
        if sleeve is None:
            return
        sras = rasterize(sleeve, pose, win)
        if sras is None:
            return
        paint(rgb, sras)
        h, w = sras.mask.shape
        sl = (slice(sras.y0, sras.y0 + h), slice(sras.x0, sras.x0 + w))
        lab[sl][sras.mask] = 0
        hand[sl][sras.mask] = 0
