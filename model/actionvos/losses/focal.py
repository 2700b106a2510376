"""Sigmoid focal and dice losses, written to match ReferFormer/ActionVOS term for term.

The reductions are part of the definition: both losses average over the flattened pixels (or
queries) of each row, sum over rows and divide by ``num_boxes``, so a fixture computed by the
official code is reproduced to float rounding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sigmoid_focal_loss(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    num_boxes: float,
    alpha: float = 0.25,
    gamma: float = 2.0,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Focal loss (Lin et al.) per element, mean over dim 1, summed, divided by ``num_boxes``.

    ``weights`` multiplies the per-pixel BCE first: that is ActionVOS's action-guided mask loss.
    A negative ``alpha`` switches the class balancing off, as in the reference.
    """
    prob = inputs.sigmoid()
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none", weight=weights)
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss.mean(1).sum() / num_boxes


def dice_loss(inputs: torch.Tensor, targets: torch.Tensor, num_boxes: float) -> torch.Tensor:
    """``1 - (2 sum(p g) + 1) / (sum p + sum g + 1)`` per row, summed, over ``num_boxes``."""
    prob = inputs.sigmoid().flatten(1)
    numerator = 2 * (prob * targets).sum(1)
    denominator = prob.sum(-1) + targets.sum(-1)
    loss = 1 - (numerator + 1) / (denominator + 1)
    return loss.sum() / num_boxes
