"""Official ActionVOS post-processing, split into steps that can be re-run cheaply.

The official script selects one query per caption and chunk, upsamples its stride-4 mask
logits to the original frame size, gates the caption by its positive probability and merges
all captions into one label map. Keeping the steps separate lets the engine store only the
low-resolution logits and the positive probabilities, and recompute a label map for another
gate threshold without rerunning the network.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: The official positive gate (``--pos_cls_thres``).
POSITIVE_THRESHOLD = 0.75
#: Mask binarisation threshold (``args.threshold``).
MASK_THRESHOLD = 0.5
#: Constant probability of the background channel prepended before the argmax.
BACKGROUND = 0.1


def select_queries(pred_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pick one query per caption for the whole chunk, as the official inference does.

    ``pred_logits`` is ``[N, T, Q, K]``. The score of a query is the sigmoid averaged over
    the chunk's frames, then the max over classes. Returns ``(q_idx [N], mean_scores [N, Q])``;
    ties go to the first query (``torch.argmax`` convention).
    """
    if pred_logits.dim() != 4:
        raise ValueError(f"pred_logits must be [N,T,Q,K], got {tuple(pred_logits.shape)}")
    scores = pred_logits.float().sigmoid().mean(dim=1).amax(dim=-1)
    return scores.argmax(dim=1), scores


def choose_queries(out: dict) -> torch.Tensor:
    """The query each caption keeps: by the query ranker where the model has one (mean ranking
    logit over the chunk's frames), else by the official class score (:func:`select_queries`).
    ``out`` is a decode output; returns ``q_idx [N]``."""
    if "pred_rank" in out:
        return out["pred_rank"].float().mean(dim=1).argmax(dim=1)
    return select_queries(out["pred_logits"])[0]


def gather_queries(pred_masks: torch.Tensor, q_idx: torch.Tensor) -> torch.Tensor:
    """``pred_masks[n, :, q_idx[n]]`` for every caption: ``[N,T,Q,h,w] -> [N,T,h,w]``."""
    n, t, _, h, w = pred_masks.shape
    index = q_idx.to(pred_masks.device).view(n, 1, 1, 1, 1).expand(n, t, 1, h, w)
    return pred_masks.gather(2, index).squeeze(2)


def upsample_probs(mask_logits: torch.Tensor, out_size: tuple[int, int]) -> torch.Tensor:
    """Bilinear (align_corners=False) upsample of ``[N,T,h,w]`` logits, then sigmoid.

    Computed in float32 whatever the stored dtype, because the official run is float32.
    """
    n, t, h, w = mask_logits.shape
    x = mask_logits.float().reshape(n * t, 1, h, w)
    x = F.interpolate(x, size=tuple(out_size), mode="bilinear", align_corners=False)
    return x.sigmoid().reshape(n, t, *out_size)


def caption_probs(
    pred_masks: torch.Tensor, q_idx: torch.Tensor, out_size: tuple[int, int]
) -> torch.Tensor:
    """Ungated probabilities of the selected query at the original size: ``[N,T,H0,W0]``."""
    return upsample_probs(gather_queries(pred_masks, q_idx), out_size)


def positive_probs(pred_positives: torch.Tensor) -> torch.Tensor:
    """Sigmoid of the positive head: ``[N,1] -> [N]``."""
    return pred_positives.float().sigmoid().reshape(-1)


def merge_label_map(
    probs: torch.Tensor,
    positive_prob: torch.Tensor,
    threshold: float = POSITIVE_THRESHOLD,
    mask_threshold: float = MASK_THRESHOLD,
    background: float = BACKGROUND,
) -> torch.Tensor:
    """Merge per-caption probabilities ``[N,T,H,W]`` into a uint8 label map ``[T,H,W]``.

    Captions whose positive probability is below ``threshold`` are zeroed; values below
    ``mask_threshold`` become 0; a constant ``background`` channel is prepended and the argmax
    over channels is the label (0 = background, i+1 = caption i; ties to the lower index).
    """
    if probs.dim() != 4:
        raise ValueError(f"probs must be [N,T,H,W], got {tuple(probs.shape)}")
    n, t, h, w = probs.shape
    if n > 255:
        raise ValueError(f"a uint8 label map holds at most 255 objects, got {n}")
    active = positive_prob.to(probs.device).reshape(n) >= threshold
    gated = probs * active.view(n, 1, 1, 1).to(probs.dtype)
    gated = torch.where(gated < mask_threshold, torch.zeros_like(gated), gated)
    bg = torch.full((1, t, h, w), background, dtype=probs.dtype, device=probs.device)
    return torch.cat([bg, gated], dim=0).argmax(dim=0).to(torch.uint8)
