"""Which query answers the referred object: ReferFormer's clip-level matching cost.

One query index is chosen per clip and used for every frame. The cost adds a focal class
cost (valid frames only), box L1 and -GIoU (all frames) and mask focal / -dice coefficients
over the whole clip; the assignment is solved with ``scipy.optimize.linear_sum_assignment``,
which with ActionVOS's single target per clip is the argmin over queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

from actionvos.losses.boxes import box_cxcywh_to_xyxy, generalized_box_iou


@dataclass(frozen=True)
class MatchCosts:
    """Weights of the matching cost terms (the official ``--set_cost_*`` defaults)."""

    cost_class: float = 2.0
    cost_bbox: float = 5.0
    cost_giou: float = 2.0
    cost_mask: float = 2.0
    cost_dice: float = 5.0
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0


def focal_cost(logits: torch.Tensor, alpha: float, gamma: float) -> torch.Tensor:
    """``pos - neg`` focal cost per query for class 0 (binary referring), 1e-8 in the logs."""
    prob = logits.sigmoid()
    neg = (1 - alpha) * (prob**gamma) * (-(1 - prob + 1e-8).log())
    pos = alpha * ((1 - prob) ** gamma) * (-(prob + 1e-8).log())
    return pos[:, [0]] - neg[:, [0]]


def mask_focal_coef(
    inputs: torch.Tensor, targets: torch.Tensor, alpha: float, gamma: float
) -> torch.Tensor:
    """Pairwise mean focal loss ``[N, M]`` between N predicted and M target mask volumes."""
    n, m = len(inputs), len(targets)
    x = inputs.flatten(1).unsqueeze(1).expand(-1, m, -1)
    y = targets.flatten(1).unsqueeze(0).expand(n, -1, -1)
    prob = x.sigmoid()
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = prob * y + (1 - prob) * (1 - y)
    coef = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        coef = (alpha * y + (1 - alpha) * (1 - y)) * coef
    return coef.mean(2)


def dice_coef(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Pairwise smoothed dice coefficient ``[N, M]`` (not subtracted from 1)."""
    x = inputs.sigmoid().flatten(1).unsqueeze(1)
    y = targets.flatten(1).unsqueeze(0)
    return (2 * (x * y).sum(2) + 1) / (x.sum(-1) + y.sum(-1) + 1)


def clip_cost(
    logits: torch.Tensor,
    boxes: torch.Tensor,
    masks: torch.Tensor,
    target_boxes: torch.Tensor,
    target_masks: torch.Tensor,
    valid: torch.Tensor,
    costs: MatchCosts,
) -> torch.Tensor:
    """Cost ``[Q, 1]`` of each query for one clip.

    ``logits`` [T, Q, K], ``boxes`` [T, Q, 4] (cx, cy, w, h), ``masks`` [T, Q, h, w];
    ``target_boxes`` [T, 4], ``target_masks`` [T, h, w] at the prediction's stride, ``valid`` [T].
    """
    n_frames, n_queries = logits.shape[:2]
    per_frame = [
        focal_cost(logits[t], costs.focal_alpha, costs.focal_gamma)
        for t in range(n_frames)
        if bool(valid[t] != 0)
    ]
    no_valid = logits.new_zeros(n_queries, 1)
    cost_class = torch.stack(per_frame).mean(0) if per_frame else no_valid
    l1, giou = [], []
    for t in range(n_frames):
        tgt = target_boxes[t].unsqueeze(0)
        l1.append(torch.cdist(boxes[t], tgt, p=1))
        giou.append(-generalized_box_iou(box_cxcywh_to_xyxy(boxes[t]), box_cxcywh_to_xyxy(tgt)))
    cost_bbox = torch.stack(l1).mean(0)
    cost_giou = torch.stack(giou).mean(0)
    pred = masks.transpose(0, 1)
    tgt_masks = target_masks.unsqueeze(0)
    cost_mask = mask_focal_coef(pred, tgt_masks, costs.focal_alpha, costs.focal_gamma)
    cost_dice = -dice_coef(pred, tgt_masks)
    return (
        costs.cost_class * cost_class
        + costs.cost_bbox * cost_bbox
        + costs.cost_giou * cost_giou
        + costs.cost_mask * cost_mask
        + costs.cost_dice * cost_dice
    )


@torch.no_grad()
def match_queries(
    outputs: dict[str, torch.Tensor],
    target_boxes: list[torch.Tensor],
    target_masks: torch.Tensor,
    valids: list[torch.Tensor],
    costs: MatchCosts,
) -> list[int]:
    """The matched query index of every clip in the batch.

    ``target_masks`` is ``[B, T, h, w]``, already padded and subsampled to the prediction size.
    """
    chosen = []
    for b in range(outputs["pred_logits"].shape[0]):
        cost = clip_cost(
            outputs["pred_logits"][b],
            outputs["pred_boxes"][b],
            outputs["pred_masks"][b],
            target_boxes[b],
            target_masks[b],
            valids[b],
            costs,
        )
        matrix = cost.detach().float().cpu().numpy()
        if not np.isfinite(matrix).all():
            raise ValueError(
                f"matching cost of clip {b} is not finite; the outputs hold NaN or inf values"
            )
        rows, _ = linear_sum_assignment(matrix)
        chosen.append(int(rows[0]))
    return chosen
