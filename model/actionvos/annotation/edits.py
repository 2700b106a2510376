"""The smallest edits a person makes, applied to a label map, and their counter.

A brush stroke is one disc of a fixed radius (8 px at 360p, scaled with the frame) put on
the largest error region of one object in one frame: where the object is missing (the stroke
adds it) or where it spills over (the stroke erases to background). The disc is centred on
the point of the region farthest from its edge and changes only that region's pixels, an
idealised careful stroke: it never paints outside the error it aims at, so every stroke
helps and the count is a lower bound on a person's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from scipy import ndimage

BRUSH_RADIUS_360P = 8


class EditKind(str, Enum):
    FLAG = "flag flip"
    BRUSH = "brush stroke"
    PROPAGATE = "propagation"
    UNDO = "undo"


@dataclass
class EditCounter:
    """How many edits of each kind a simulated annotation took."""

    counts: Counter = field(default_factory=Counter)

    def add(self, kind: EditKind, n: int = 1) -> None:
        self.counts[EditKind(kind)] += n

    @property
    def total(self) -> int:
        return int(sum(self.counts.values()))

    def as_dict(self) -> dict[str, int]:
        return {k.value: int(self.counts.get(k, 0)) for k in EditKind}


def brush_radius(height: int, width: int) -> int:
    """The brush radius for frames of this size: 8 px at 360p, in proportion elsewhere."""
    return max(1, round(BRUSH_RADIUS_360P * min(height, width) / 360))


def _disc(radius: int) -> np.ndarray:
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return yy**2 + xx**2 <= radius**2


def largest_error(labels: np.ndarray, truth: np.ndarray, object_id: int) -> tuple[np.ndarray, bool]:
    """The largest connected error region of one object and whether it is missing (True)
    or spilled over (False); an empty region when the mask is exact."""
    pred, want = labels == object_id, truth == object_id
    best, best_size, best_missing = None, 0, True
    for missing, error in ((True, want & ~pred), (False, pred & ~want)):
        if not error.any():
            continue
        regions, n = ndimage.label(error, structure=np.ones((3, 3), bool))
        sizes = np.bincount(regions.ravel())[1:]
        i = int(np.argmax(sizes))
        if sizes[i] > best_size:
            best, best_size, best_missing = regions == i + 1, int(sizes[i]), missing
    if best is None:
        return np.zeros_like(pred), True
    return best, best_missing


def brush_stroke(labels: np.ndarray, truth: np.ndarray, object_id: int, radius: int) -> int:
    """Put one stroke on the object's largest error region, in place; returns the pixels it
    fixed (0 when the mask was already exact, and then nothing is counted)."""
    region, missing = largest_error(labels, truth, object_id)
    if not region.any():
        return 0
    depth = ndimage.distance_transform_edt(region)
    cy, cx = np.unravel_index(int(np.argmax(depth)), depth.shape)
    h, w = labels.shape
    y0, y1 = max(0, cy - radius), min(h, cy + radius + 1)
    x0, x1 = max(0, cx - radius), min(w, cx + radius + 1)
    disc = _disc(radius)[y0 - cy + radius : y1 - cy + radius, x0 - cx + radius : x1 - cx + radius]
    hit = disc & region[y0:y1, x0:x1]
    labels[y0:y1, x0:x1][hit] = object_id if missing else 0
    return int(hit.sum())
