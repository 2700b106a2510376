"""The query ranker's loss: rank a caption's queries by how well their masks fit its target.

Each query's mask (logit > 0, the engine's 0.5 threshold) is compared with the criterion's
target at stride 4, frame by frame (IoU, 1 where both are empty: a negative object's target is
empty, so its best queries are those that draw nothing), and averaged over the clip. The
target distribution is a softmax of those IoUs at temperature :data:`RANK_TEMPERATURE`; the
ranker's logits, averaged over frames as the engine averages them, are trained towards it
with cross-entropy. The IoUs are computed without gradient: the ranker learns to choose among
the masks, the mask losses keep shaping the masks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: Softmax temperature on mean IoUs: a query 0.1 IoU better gets e times the target weight.
RANK_TEMPERATURE = 0.1


def query_ious(pred_masks: torch.Tensor, target_masks: torch.Tensor) -> torch.Tensor:
    """Mean per-frame IoU of every query's mask with the target: [B,T,Q,h,w], [B,T,h,w] ->
    [B,Q]."""
    pred = pred_masks.detach() > 0
    tgt = (target_masks > 0.5)[:, :, None]
    inter = (pred & tgt).flatten(3).sum(-1).float()
    union = (pred | tgt).flatten(3).sum(-1).float()
    iou = torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))
    return iou.mean(1)


def rank_loss(
    pred_rank: torch.Tensor, pred_masks: torch.Tensor, target_masks: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy of the frame-averaged ranking logits [B,T,Q] against the IoU softmax."""
    target = torch.softmax(query_ious(pred_masks, target_masks) / RANK_TEMPERATURE, dim=-1)
    log_p = F.log_softmax(pred_rank.float().mean(1), dim=-1)
    return -(target * log_p).sum(-1).mean()
