"""Warping a mask along a flow field, and how far the flow can be trusted there.

Trust is forward-backward consistency (Sundaram, Brox and Keutzer, ECCV 2010): following
the flow from frame a to b and then back from b to a should return to the start. Where it
does not, the flow is wrong (occlusion, a textureless or fast-moving region) and a mask
carried through it has probably drifted.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _coords(field: np.ndarray) -> np.ndarray:
    h, w = field.shape[1:]
    rows, cols = np.meshgrid(
        np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij"
    )
    return np.stack([rows + field[0], cols + field[1]])


def warp(mask: np.ndarray, field: np.ndarray) -> np.ndarray:
    """``float32 [H, W]``: ``mask`` (bool or soft, of the source frame) pulled along ``field``.

    ``field`` is a ``FlowCache.pull(dst, src)`` field; points that come from outside the
    source frame get 0 (the object left the view).
    """
    values = np.asarray(mask, dtype=np.float32)
    return ndimage.map_coordinates(values, _coords(field), order=1, mode="constant", cval=0.0)


def consistent(
    pull_ab: np.ndarray, pull_ba: np.ndarray, tolerance_px: float = 1.0, relative: float = 0.1
) -> np.ndarray:
    """``bool [H, W]`` over frame b's pixels: does going back along the flow return here?

    ``pull_ab`` warps a onto b (``pull(b, a)``), ``pull_ba`` warps b onto a. A pixel x of b
    maps to y = x + pull_ab(x) in a, and back to y + pull_ba(y); it is consistent when that
    round trip misses x by at most ``tolerance_px`` plus ``relative`` of the motion.
    """
    back = np.stack(
        [
            ndimage.map_coordinates(pull_ba[axis], _coords(pull_ab), order=1, mode="nearest")
            for axis in range(2)
        ]
    )
    miss = np.hypot(*(pull_ab + back))
    motion = np.hypot(*pull_ab) + np.hypot(*back)
    return miss <= tolerance_px + relative * motion


def consistency_inside(ok: np.ndarray, mask: np.ndarray, margin_px: int = 2) -> float:
    """The fraction of consistent pixels on the mask and a thin band around it (1 if empty).

    The band matters: a mask drifts at its boundary, where the object meets what it occludes.
    """
    region = np.asarray(mask, dtype=bool)
    if not region.any():
        return 1.0
    if margin_px > 0:
        region = ndimage.binary_dilation(region, iterations=margin_px)
    return float(ok[region].mean())
