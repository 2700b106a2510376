"""Box conversions, the +1e-6 GIoU of ReferFormer, and a mask's box as the loader makes it."""

from __future__ import annotations

import numpy as np
import torch

_EPS = 1e-6


def box_cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


def box_xyxy_to_cxcywh(boxes: torch.Tensor) -> torch.Tensor:
    x0, y0, x1, y1 = boxes.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=-1)


def _area(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _check(boxes: torch.Tensor, what: str) -> None:
    if not bool(torch.isfinite(boxes).all()):
        raise ValueError(f"{what} boxes are not finite; the outputs hold NaN or inf values")
    if not bool((boxes[..., 2:] >= boxes[..., :2]).all()):
        raise ValueError(f"{what} boxes have x1 < x0 or y1 < y0; GIoU needs corner boxes")


def generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """Pairwise GIoU ``[N, M]`` of corner boxes, with ReferFormer's 1e-6 smoothing.

    The smoothing (on the IoU and on the enclosing-area term) keeps empty target boxes, which
    ActionVOS uses for negative objects, finite.
    """
    _check(boxes1, "first")
    _check(boxes2, "second")
    b1, b2 = boxes1[:, None, :], boxes2[None, :, :]
    return _giou(b1, b2)


def paired_generalized_box_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> torch.Tensor:
    """GIoU of ``boxes1[i]`` with ``boxes2[i]``: the diagonal of :func:`generalized_box_iou`."""
    _check(boxes1, "first")
    _check(boxes2, "second")
    return _giou(boxes1, boxes2)


def _giou(b1: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    lt = torch.max(b1[..., :2], b2[..., :2])
    rb = torch.min(b1[..., 2:], b2[..., 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = _area(b1) + _area(b2) - inter
    iou = (inter + _EPS) / (union + _EPS)
    lt = torch.min(b1[..., :2], b2[..., :2])
    rb = torch.max(b1[..., 2:], b2[..., 2:])
    wh = (rb - lt).clamp(min=0)
    enclosing = wh[..., 0] * wh[..., 1]
    return iou - ((enclosing - union) + _EPS) / (enclosing + _EPS)


def mask_box_cxcywh(mask: np.ndarray) -> np.ndarray:
    """The loader's target box: inclusive pixel extent of the mask, normalised cx, cy, w, h.

    ``x1 = min col, x2 = max col`` (inclusive, so a one-pixel mask has width 0), converted to
    centre form and then divided by the image width and height, the loader's order (it fixes
    the float rounding). An empty mask gives ``[0, 0, 0, 0]``.
    """
    mask = np.asarray(mask) > 0
    if mask.ndim != 2:
        raise ValueError(f"a mask for a box must be 2-D, got shape {mask.shape}")
    if not mask.any():
        return np.zeros(4, dtype=np.float32)
    h, w = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    xyxy = torch.tensor([cols[0], rows[0], cols[-1], rows[-1]], dtype=torch.float32)
    cxcywh = box_xyxy_to_cxcywh(xyxy) / torch.tensor([w, h, w, h], dtype=torch.float32)
    return cxcywh.numpy()
