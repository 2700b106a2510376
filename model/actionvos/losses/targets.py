"""Criterion targets for one (clip, object) pair, built the way ActionVOS's loader builds them.

The loader (``RF_ActionVOS/actionvos.py`` with ``--use_weights``) reads the annotation and the
raw weight map of each frame, keeps the target object's own pixels, removes its negative
(raw 3) pixels, maps the weights to {1, 2, 5}, empties everything for a negative object, and
takes the box from what is left. Augmentation is not done here; this is the un-augmented
target, which is what the trainer needs for fixed-size clips.
"""

from __future__ import annotations

import numpy as np
import torch

from actionvos.errors import InputError
from actionvos.labeling.weights import (
    PAPER_LAMBDAS,
    ActionWeights,
    criterion_mask,
    criterion_weights,
)
from actionvos.losses.boxes import mask_box_cxcywh


def clip_target(
    annotation: np.ndarray,
    raw_weights: np.ndarray,
    object_id: int,
    positive: bool,
    *,
    class_id: int = 0,
    lambdas: ActionWeights = PAPER_LAMBDAS,
) -> dict[str, torch.Tensor]:
    """Target dict for :class:`~actionvos.losses.ActionVOSCriterion`.

    ``annotation`` ``[T, H, W]`` instance ids, ``raw_weights`` ``[T, H, W]`` raw {1, 2, 3, 4}
    maps (:func:`actionvos.labeling.raw_weight_maps`); ``positive`` is the object's label.
    """
    ann = np.asarray(annotation)
    raw = np.asarray(raw_weights)
    if ann.ndim != 3 or ann.shape != raw.shape:
        raise InputError(
            f"annotation {ann.shape} and raw weights {raw.shape} must both be [T, H, W] "
            "of the same size"
        )
    masks, weights, boxes = [], [], []
    for t in range(ann.shape[0]):
        obj = ann[t] == object_id
        weights.append(criterion_weights(raw[t], obj, lambdas))
        mask = criterion_mask(raw[t], obj, positive)
        masks.append(mask)
        boxes.append(mask_box_cxcywh(mask))
    n = ann.shape[0]
    return {
        "masks": torch.from_numpy(np.stack(masks)),
        "weights": torch.from_numpy(np.stack(weights)),
        "boxes": torch.from_numpy(np.stack(boxes)),
        "valid": torch.ones(n, dtype=torch.int64),
        "positive": torch.full((n,), int(bool(positive)), dtype=torch.int64),
        "labels": torch.full((n,), int(class_id), dtype=torch.int64),
    }
