"""Hand-object annotations of one clip, checked and put in one shape.

VISOR-HOS gives, per frame, the masks and boxes of the objects in contact with a hand. Boxes
here are ``(x0, y0, x1, y1)`` pixel corners with the end exclusive, so a box covers rows
``y0:y1`` and columns ``x0:x1`` (the official code slices ``[y:y+h, x:x+w]`` from COCO
``x, y, w, h``; pass ``(x, y, x + w, y + h)``). A frame *has* hand-object annotations when it
has at least one box, as in the official code where a frame is in the HOS index only if it
holds an object annotation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from actionvos.errors import InputError

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class FrameHandObjects:
    """One frame's hand-object boxes (clipped to the frame) and mask (None when not given)."""

    boxes: tuple[Box, ...]
    mask: np.ndarray | None

    @property
    def annotated(self) -> bool:
        return len(self.boxes) > 0

    def box_union(self, shape: tuple[int, int]) -> np.ndarray:
        """Boolean map of the pixels inside any box."""
        out = np.zeros(shape, dtype=bool)
        for x0, y0, x1, y1 in self.boxes:
            out[y0:y1, x0:x1] = True
        return out


def normalise_box(box: Sequence[float], shape: tuple[int, int], where: str) -> Box | None:
    """Integer corners clipped to the frame; None when the clipped box is empty.

    Fractional corners are widened (floor the start, ceil the end) so no touched pixel is lost.
    """
    if len(box) != 4:
        raise InputError(f"{where}: a box needs 4 numbers (x0, y0, x1, y1), got {list(box)}")
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise InputError(f"{where}: box {list(box)} holds a value that is not a number") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise InputError(f"{where}: box {list(box)} is not finite")
    if x1 < x0 or y1 < y0:
        raise InputError(
            f"{where}: box {list(box)} ends before it starts; boxes are corner pairs "
            "(x0, y0, x1, y1), not (x, y, w, h)"
        )
    h, w = shape
    cx0, cy0 = max(0, math.floor(x0)), max(0, math.floor(y0))
    cx1, cy1 = min(w, math.ceil(x1)), min(h, math.ceil(y1))
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    return (cx0, cy0, cx1, cy1)


def boxes_from_mask(mask: np.ndarray) -> tuple[Box, ...]:
    """One box per annotation in a hand-object mask.

    An integer mask with several ids holds one annotation per id; a boolean (0/1) mask is split
    into 8-connected components, the closest we can get to VISOR's per-object boxes.
    """
    labels = np.asarray(mask)
    if labels.dtype == bool or labels.max(initial=0) <= 1:
        labels, _ = ndimage.label(labels > 0, structure=np.ones((3, 3), dtype=bool))
    boxes = []
    for sl in ndimage.find_objects(labels.astype(np.int64, copy=False)):
        if sl is not None:
            boxes.append((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop))
    return tuple(boxes)


def clip_hand_objects(
    n_frames: int,
    shape: tuple[int, int],
    hand_object_boxes: Sequence[Sequence[Sequence[float]] | None] | None,
    hand_object_masks: np.ndarray | None,
) -> list[FrameHandObjects]:
    """Per-frame hand-object annotations; boxes come from the masks where none are given."""
    if hand_object_boxes is not None and len(hand_object_boxes) != n_frames:
        raise InputError(
            f"hand_object_boxes has {len(hand_object_boxes)} frames but the masks have "
            f"{n_frames}; give one list of boxes per frame (an empty list or None for none)"
        )
    masks = None
    if hand_object_masks is not None:
        masks = np.asarray(hand_object_masks)
        if masks.shape != (n_frames, *shape):
            raise InputError(
                f"hand_object_masks has shape {masks.shape} but the object masks have "
                f"{(n_frames, *shape)}; give one hand-object mask per frame at the same size"
            )
    frames = []
    for t in range(n_frames):
        mask_t = None if masks is None else masks[t]
        given = None if hand_object_boxes is None else hand_object_boxes[t]
        if given is not None:
            where = f"hand_object_boxes[{t}]"
            boxes = tuple(
                b
                for b in (normalise_box(b, shape, f"{where}[{i}]") for i, b in enumerate(given))
                if b is not None
            )
        elif mask_t is not None and mask_t.any():
            boxes = boxes_from_mask(mask_t)
        else:
            boxes = ()
        frames.append(FrameHandObjects(boxes, mask_t))
    return frames
