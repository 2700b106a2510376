"""Action-guided weight maps, as ActionVOS makes them and as its loader feeds them to the loss.

Raw map per frame (``data_prepare_visor.py``; saved there as ``Weights_Sparse`` PNGs):

* every narration object's pixels get **2**;
* in a frame with hand-object boxes, a non-narration object that shares no pixel with a box
  gets **3** (negative); in a frame without them, a non-narration object gets 3 when its
  clip-level ``positive`` flag is off;
* inside the hand-object boxes every value is doubled, so a narration object's pixels in a box
  become **4** (hand and narration);
* pixels still unset get 2 inside a hand-object mask (frames with boxes only), else **1**.

The loader then keeps the weights on the target object only and maps them to the values the
criterion sees, {1, 2, 5} with the paper's lambdas (:func:`criterion_weights`), and removes
negative-object pixels from the target mask (:func:`criterion_mask`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from actionvos.errors import InputError
from actionvos.labeling.hos import FrameHandObjects, clip_hand_objects
from actionvos.labeling.rules import ObjectLabel

RAW_OTHER = 1
RAW_HAND_OR_NARRATION = 2
RAW_NEGATIVE = 3
RAW_HAND_AND_NARRATION = 4


@dataclass(frozen=True)
class ActionWeights:
    """Loss weight per raw class. Paper names: ``hand_and_narration`` is lambda_pos,
    ``hand_or_narration`` is lambda_nar = lambda_h-obj, ``negative`` is lambda_neg."""

    other: float = 1.0
    hand_or_narration: float = 2.0
    negative: float = 5.0
    hand_and_narration: float = 5.0


#: The released training setting (lambda_pos = 5, lambda_nar = lambda_h-obj = 2, lambda_neg = 5).
PAPER_LAMBDAS = ActionWeights()


def _flags(values: Sequence[bool], n_ids: int, what: str) -> np.ndarray:
    arr = np.zeros(n_ids + 1, dtype=bool)
    vals = np.asarray(values, dtype=bool).reshape(-1)
    if vals.size < n_ids:
        raise InputError(
            f"the mask holds instance id {n_ids} but only {vals.size} {what} flags were given"
        )
    arr[1:] = vals[:n_ids]
    return arr


def _raw_map(
    label: np.ndarray, narration: np.ndarray, positive: np.ndarray, frame: FrameHandObjects
) -> np.ndarray:
    """The raw map for one frame given per-id flag tables (index 0 = background)."""
    value = np.where(narration, RAW_HAND_OR_NARRATION, 0).astype(np.uint8)
    if frame.annotated:
        inside = frame.box_union(label.shape)
        touching = np.zeros_like(narration)
        touching[np.unique(label[inside])] = True
        negative = ~narration & ~touching
    else:
        inside = None
        negative = ~narration & ~positive
    value[negative] = RAW_NEGATIVE
    value[0] = 0
    out = value[label]
    if inside is not None:
        out[inside] *= 2
        if frame.mask is not None:
            out[(out == 0) & (frame.mask > 0)] = RAW_HAND_OR_NARRATION
    out[out == 0] = RAW_OTHER
    return out


def raw_weight_map(
    frame_mask: np.ndarray,
    narration: Sequence[bool],
    positive: Sequence[bool],
    hand_object_boxes: Sequence[Sequence[float]] | None = None,
    hand_object_mask: np.ndarray | None = None,
) -> np.ndarray:
    """The raw {1, 2, 3, 4} uint8 weight map of one frame.

    ``frame_mask`` is ``[H, W]`` instance ids; ``narration[k-1]`` and ``positive[k-1]`` are the
    clip-level flags of instance k (:func:`actionvos.labeling.label_objects`). Boxes are
    ``(x0, y0, x1, y1)`` with exclusive ends; without boxes they are taken from
    ``hand_object_mask`` when it is given.
    """
    label = np.asarray(frame_mask)
    if label.ndim != 2 or not np.issubdtype(label.dtype, np.integer):
        raise InputError(
            f"frame_mask must be a 2-D integer id map, got {label.shape} {label.dtype}"
        )
    if label.size and label.min() < 0:
        raise InputError("frame_mask holds negative ids; ids are 0 (background) or k >= 1")
    n_ids = int(label.max(initial=0))
    hom = None if hand_object_mask is None else np.asarray(hand_object_mask)[None]
    boxes = None if hand_object_boxes is None else [hand_object_boxes]
    (frame,) = clip_hand_objects(1, label.shape, boxes, hom)
    return _raw_map(
        label,
        _flags(narration, n_ids, "narration"),
        _flags(positive, n_ids, "positive"),
        frame,
    )


def raw_weight_maps(
    masks: np.ndarray,
    labels: Sequence[ObjectLabel],
    hand_object_boxes: Sequence[Sequence[Sequence[float]] | None] | None = None,
    hand_object_masks: np.ndarray | None = None,
) -> np.ndarray:
    """Raw maps ``[T, H, W]`` for a clip from :class:`~actionvos.labeling.ObjectLabel` s."""
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise InputError(f"masks must be [T, H, W] instance ids, got shape {masks.shape}")
    narration = [bool(lb.narration) for lb in labels]
    positive = [bool(lb.positive) for lb in labels]
    frames = clip_hand_objects(
        masks.shape[0], masks.shape[1:], hand_object_boxes, hand_object_masks
    )
    n_ids = len(labels)
    if masks.size and (masks.min() < 0 or masks.max() > n_ids):
        raise InputError(f"masks hold ids up to {int(masks.max())} but {n_ids} labels were given")
    nar, pos = _flags(narration, n_ids, "narration"), _flags(positive, n_ids, "positive")
    return np.stack([_raw_map(masks[t], nar, pos, f) for t, f in enumerate(frames)])


def criterion_weights(
    raw: np.ndarray, object_mask: np.ndarray, lambdas: ActionWeights = PAPER_LAMBDAS
) -> np.ndarray:
    """Float32 weights for one target object: its own pixels keep their class, others get 1.

    With :data:`PAPER_LAMBDAS` this is the loader's mapping to {1, 2, 5}: raw 3 and 4 (and any
    larger value) become 5. A raw 0 (padding) stays 0.
    """
    raw = np.asarray(raw)
    obj = np.asarray(object_mask) > 0
    if raw.shape != obj.shape:
        raise InputError(f"weight map {raw.shape} and object mask {obj.shape} differ in size")
    kept = np.where(obj, raw, RAW_OTHER).astype(np.int64)
    table = np.array(
        [
            0.0,
            lambdas.other,
            lambdas.hand_or_narration,
            lambdas.negative,
            lambdas.hand_and_narration,
        ],
        dtype=np.float32,
    )
    return np.where(
        kept > RAW_HAND_AND_NARRATION, np.float32(lambdas.negative), table[np.clip(kept, 0, 4)]
    ).astype(np.float32)


def criterion_mask(raw: np.ndarray, object_mask: np.ndarray, positive: bool = True) -> np.ndarray:
    """Float32 target mask: the object minus its raw-3 pixels; all zero for a negative object."""
    raw = np.asarray(raw)
    obj = np.asarray(object_mask) > 0
    if raw.shape != obj.shape:
        raise InputError(f"weight map {raw.shape} and object mask {obj.shape} differ in size")
    if not positive:
        return np.zeros(obj.shape, dtype=np.float32)
    return (obj & (raw != RAW_NEGATIVE)).astype(np.float32)
