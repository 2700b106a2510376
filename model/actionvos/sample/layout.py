"""Place distractor objects where no action reaches them.

Everything the action uses is drawn at every frame into an occupancy map, and every box
around an object a hand holds is added as a rectangle, both grown by a margin. A
distractor is accepted only where its whole mask fits inside the frame's upper part and
misses that map, so it can never touch a hand-object box: its ground-truth flag then comes
from the narration alone, as the official rule says.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from actionvos.sample.motion import Hold, ObjectTrack
from actionvos.sample.scene import Model, rasterize
from actionvos.sample.truth import mask_box


def _stamp(occ: np.ndarray, model: Model, track: ObjectTrack, frames: Sequence[int]) -> list:
    """Draw an object at the given frames into ``occ``; return its box per frame."""
    h, w = occ.shape
    boxes = []
    for i in frames:
        ras = rasterize(model, track.pose(i), (0, 0, h, w))
        if ras is None:
            boxes.append(None)
            continue
        mh, mw = ras.mask.shape
        occ[ras.y0 : ras.y0 + mh, ras.x0 : ras.x0 + mw] |= ras.mask
        b = mask_box(ras.mask)
        boxes.append(
            None if b is None else (b[0] + ras.x0, b[1] + ras.y0, b[2] + ras.x0, b[3] + ras.y0)
        )
    return boxes


def occupancy(
    size: tuple[int, int],
    models: Sequence[Model],
    tracks: Sequence[ObjectTrack],
    holds: Sequence[Hold],
    t: np.ndarray,
    margin: int,
) -> np.ndarray:
    """Pixels a distractor must avoid: the action's objects over time and the held boxes."""
    occ = np.zeros(size, dtype=bool)
    n = t.size
    held_boxes = []
    for k, (model, track) in enumerate(zip(models, tracks, strict=True)):
        frames = list(range(n)) if track.moves() else [0]
        boxes = _stamp(occ, model, track, frames)
        for h in holds:
            if h.obj != k:
                continue
            for i, b in zip(frames, boxes, strict=True):
                if b is not None and h.t0 - 1e-9 <= t[i] <= h.t1 + 1e-9:
                    held_boxes.append(b)
            if not track.moves() and boxes[0] is not None:
                held_boxes.append(boxes[0])
    for x0, y0, x1, y1 in held_boxes:
        occ[y0:y1, x0:x1] = True
    return ndimage.binary_dilation(occ, iterations=margin)


def place(
    occ: np.ndarray,
    model: Model,
    angle: float,
    rng: np.random.Generator,
    n_frames: int,
    margin: int,
    y_max: float,
    tries: int = 60,
) -> ObjectTrack | None:
    """Find a still position for a distractor, wholly in the frame above ``y_max`` and clear
    of ``occ``; on success mark it there, grown by ``margin``, and return its track."""
    h, w = occ.shape
    for _ in range(tries):
        x = rng.uniform(margin, w - margin)
        y = rng.uniform(margin, y_max)
        track = ObjectTrack.still(n_frames, x, y, angle)
        ras = rasterize(model, track.pose(0), (0, 0, h, w))
        if ras is None:
            continue
        mh, mw = ras.mask.shape
        rows = np.flatnonzero(ras.mask.any(axis=1))
        cols = np.flatnonzero(ras.mask.any(axis=0))
        if (
            ras.y0 + rows[0] < margin
            or ras.x0 + cols[0] < margin
            or ras.y0 + rows[-1] >= y_max
            or ras.x0 + cols[-1] >= w - margin
        ):
            continue
        region = (slice(ras.y0, ras.y0 + mh), slice(ras.x0, ras.x0 + mw))
        if (occ[region] & ras.mask).any():
            continue
        stamp = np.zeros_like(occ)
        stamp[region] = ras.mask
        occ |= ndimage.binary_dilation(stamp, iterations=margin)
        return track
    return None
