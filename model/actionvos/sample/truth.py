"""Ground truth derived from the drawn masks: hand-object boxes and the active flags.

The active flags follow the official ActionVOS pseudo-label rule (``data_prepare_visor.py``
of ut-vision/ActionVOS): an object is positive when its noun class is among the narration's
noun classes, or when any of its visible pixels lies inside a hand-object box (a VISOR-HOS
box of an object in contact with a hand) in any frame. Boxes here are
``(x0, y0, x1, y1)`` with exclusive ends: the rule crops ``masks[t, y0:y1, x0:x1]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Box = tuple[int, int, int, int]


def mask_box(mask: np.ndarray) -> Box | None:
    """The tight box (exclusive ends) of a boolean mask, or None when it is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def objects_in_boxes(
    masks: np.ndarray, boxes: Sequence[Sequence[Box]], n_objects: int
) -> list[bool]:
    """For each object id 1..n: does it show inside some frame's hand-object box?"""
    hit = np.zeros(n_objects + 1, dtype=bool)
    for t, frame_boxes in enumerate(boxes):
        for x0, y0, x1, y1 in frame_boxes:
            ids = np.unique(masks[t, y0:y1, x0:x1])
            hit[ids[ids <= n_objects]] = True
    return [bool(h) for h in hit[1:]]


def named_in_narration(class_ids: Sequence[int], noun_classes: Sequence[int]) -> list[bool]:
    """For each object: is its noun class one the narration names?"""
    named = set(int(c) for c in noun_classes)
    return [int(c) in named for c in class_ids]


def official_active(
    masks: np.ndarray,
    boxes: Sequence[Sequence[Box]],
    class_ids: Sequence[int],
    noun_classes: Sequence[int],
) -> list[bool]:
    """The ActionVOS rule: named by the narration or inside a hand-object box."""
    boxed = objects_in_boxes(masks, boxes, len(class_ids))
    named = named_in_narration(class_ids, noun_classes)
    return [a or b for a, b in zip(boxed, named, strict=True)]
