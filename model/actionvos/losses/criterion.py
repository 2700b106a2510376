"""ActionVOS's training criterion: one call gives every loss term, final and auxiliary.

``criterion(outputs, targets)`` takes the network outputs as the model returns them
(``pred_logits`` [B,T,Q,1], ``pred_boxes`` [B,T,Q,4], ``pred_masks`` [B,T,Q,h,w],
``pred_positives`` [B,1], ``aux_outputs`` a list of the same per decoder layer) and one target
dict per clip:

* ``masks`` [T,H,W] binary target (after the loader mapping, see ``actionvos.labeling``),
* ``weights`` [T,H,W] action-guided weights in {1, 2, 5} (optional: without them the mask
  loss is the plain focal loss, as with the official ``masks`` loss),
* ``boxes`` [T,4] normalised cx, cy, w, h (zeros for a negative or absent object),
* ``valid`` [T] and ``positive`` [T].

It returns ``loss_ce, loss_bbox, loss_giou, loss_positive_labels, loss_mask, loss_dice`` and
the same with ``_0``, ``_1``... for each auxiliary layer; :meth:`ActionVOSCriterion.weighted_total`
sums them with the official weights. A model with a query ranker (``pred_rank`` [B,T,Q], not
upstream's: ActionVOS-Lite) adds ``loss_rank`` (:mod:`actionvos.losses.ranking`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from actionvos.errors import InputError
from actionvos.losses.boxes import box_cxcywh_to_xyxy, paired_generalized_box_iou
from actionvos.losses.focal import dice_loss, sigmoid_focal_loss
from actionvos.losses.matcher import MatchCosts, match_queries
from actionvos.losses.ranking import rank_loss

BASE_WEIGHTS: dict[str, float] = {
    "loss_ce": 2.0,
    "loss_bbox": 5.0,
    "loss_giou": 2.0,
    "loss_mask": 2.0,
    "loss_dice": 5.0,
    "loss_positive_labels": 2.0,
    "loss_rank": 2.0,
}


@dataclass(frozen=True)
class LossSettings:
    """Official ActionVOS training settings (``--binary --use_weights --use_positive_cls``)."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(BASE_WEIGHTS))
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    costs: MatchCosts = MatchCosts()
    mask_out_stride: int = 4
    size_divisibility: int = 32
    use_positive: bool = True

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LossSettings:
        """Settings from a dict shaped like ``fixture_r50_loss.json['criterion']``."""
        alpha = float(d.get("focal_alpha", 0.25))
        gamma = float(d.get("focal_gamma", 2.0))
        mc = d.get("matcher_costs", {})
        costs = MatchCosts(
            cost_class=float(mc.get("class", 2)),
            cost_bbox=float(mc.get("bbox", 5)),
            cost_giou=float(mc.get("giou", 2)),
            cost_mask=float(mc.get("mask", 2)),
            cost_dice=float(mc.get("dice", 5)),
            focal_alpha=alpha,
            focal_gamma=gamma,
        )
        weights = {k: float(v) for k, v in d.get("weight_dict", BASE_WEIGHTS).items()}
        return cls(
            weights=weights,
            focal_alpha=alpha,
            focal_gamma=gamma,
            costs=costs,
            mask_out_stride=int(d.get("mask_out_stride", 4)),
            use_positive="positive_labels" in d.get("losses", ["positive_labels"]),
        )


@dataclass
class CriterionResult:
    """Loss terms plus the query matched per layer (final first, then aux 0, 1, ...)."""

    terms: dict[str, torch.Tensor]
    matched: list[list[int]]


def _pad_stack(tensors: Sequence[torch.Tensor], divisor: int) -> torch.Tensor:
    """Zero-pad [T,H,W] tensors to a common size that is a multiple of ``divisor``."""
    h = max(t.shape[-2] for t in tensors)
    w = max(t.shape[-1] for t in tensors)
    h, w = -(-h // divisor) * divisor, -(-w // divisor) * divisor
    out = tensors[0].new_zeros((len(tensors), tensors[0].shape[0], h, w))
    for i, t in enumerate(tensors):
        out[i, :, : t.shape[-2], : t.shape[-1]] = t
    return out


def _num_boxes(valids: Sequence[torch.Tensor], device: torch.device) -> float:
    total = torch.as_tensor([float(sum(int(v.sum()) for v in valids))], device=device)
    world = 1
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.all_reduce(total)
        world = torch.distributed.get_world_size()
    return float(torch.clamp(total / world, min=1).item())


class ActionVOSCriterion:
    """Matching plus every ActionVOS loss, for the final and each auxiliary decoder layer."""

    def __init__(self, settings: LossSettings | None = None) -> None:
        self.settings = settings or LossSettings()

    def __call__(
        self, outputs: Mapping[str, Any], targets: Sequence[Mapping[str, torch.Tensor]]
    ) -> dict[str, torch.Tensor]:
        return self.compute(outputs, targets).terms

    def weighted_total(self, terms: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Sum of weight x term; an aux term ``loss_x_i`` falls back to the weight of ``loss_x``."""
        total = None
        for name, value in terms.items():
            weight = self.settings.weights.get(name)
            if weight is None:
                weight = self.settings.weights.get(name.rsplit("_", 1)[0])
            if weight is None:
                raise KeyError(f"no loss weight for term {name!r}")
            total = value * weight if total is None else total + value * weight
        if total is None:
            raise ValueError("no loss terms to add up")
        return total

    def compute(
        self, outputs: Mapping[str, Any], targets: Sequence[Mapping[str, torch.Tensor]]
    ) -> CriterionResult:
        ref = outputs["pred_masks"]
        batch, _, _, h, w = ref.shape
        if len(targets) != batch:
            raise InputError(f"{len(targets)} targets for a batch of {batch} clips")
        device = ref.device
        tgt = [{k: v.to(device) for k, v in t.items() if torch.is_tensor(v)} for t in targets]
        valids = [t["valid"] for t in tgt]
        boxes = [t["boxes"].to(ref.dtype) for t in tgt]
        masks = self._subsample(_pad_stack([t["masks"].to(ref.dtype) for t in tgt], self._div))
        weights = None
        if all("weights" in t for t in tgt):
            padded = _pad_stack([t["weights"].to(ref.dtype) for t in tgt], self._div)
            weights = self._subsample(padded)
        if masks.shape[-2:] != (h, w):
            raise InputError(
                f"targets of {tuple(tgt[0]['masks'].shape[-2:])} give {tuple(masks.shape[-2:])} "
                f"at stride {self.settings.mask_out_stride}, but pred_masks are {(h, w)}"
            )
        positive = torch.stack([t["positive"].any() for t in tgt]).to(ref.dtype).reshape(-1, 1)
        num_boxes = _num_boxes(valids, device)

        layers = [("", outputs)]
        layers += [(f"_{i}", aux) for i, aux in enumerate(outputs.get("aux_outputs") or [])]
        terms: dict[str, torch.Tensor] = {}
        matched: list[list[int]] = []
        for suffix, layer in layers:
            queries = match_queries(layer, boxes, masks, valids, self.settings.costs)
            matched.append(queries)
            for name, value in self._layer_terms(
                layer, queries, boxes, masks, weights, valids, positive, num_boxes
            ).items():
                terms[name + suffix] = value
        if "pred_rank" in outputs:
            terms["loss_rank"] = rank_loss(outputs["pred_rank"], ref, masks)
        return CriterionResult(terms, matched)

    @property
    def _div(self) -> int:
        return self.settings.size_divisibility

    def _subsample(self, x: torch.Tensor) -> torch.Tensor:
        s = self.settings.mask_out_stride
        return x[:, :, s // 2 :: s, s // 2 :: s]

    def _layer_terms(
        self,
        out: Mapping[str, torch.Tensor],
        queries: list[int],
        boxes: list[torch.Tensor],
        masks: torch.Tensor,
        weights: torch.Tensor | None,
        valids: list[torch.Tensor],
        positive: torch.Tensor,
        num_boxes: float,
    ) -> dict[str, torch.Tensor]:
        st = self.settings
        logits = out["pred_logits"]
        batch, n_frames, n_queries = logits.shape[:3]
        rows = torch.arange(batch, device=logits.device)
        q = torch.as_tensor(queries, device=logits.device)

        flat = logits.flatten(1, 2)
        onehot = torch.zeros_like(flat)
        for b in range(batch):
            frames = valids[b].nonzero().flatten()
            onehot[b, frames * n_queries + queries[b], 0] = 1
        loss_ce = sigmoid_focal_loss(flat, onehot, num_boxes, st.focal_alpha, st.focal_gamma)
        terms = {"loss_ce": loss_ce * flat.shape[1]}

        src_boxes = out["pred_boxes"].transpose(1, 2)[rows, q].flatten(0, 1)
        tgt_boxes = torch.cat(boxes, dim=0)
        terms["loss_bbox"] = F.l1_loss(src_boxes, tgt_boxes, reduction="none").sum() / num_boxes
        giou = paired_generalized_box_iou(
            box_cxcywh_to_xyxy(src_boxes), box_cxcywh_to_xyxy(tgt_boxes)
        )
        terms["loss_giou"] = (1 - giou).sum() / num_boxes

        if st.use_positive and "pred_positives" in out:
            pos_logits = out["pred_positives"]
            target = positive.expand_as(pos_logits).to(pos_logits.dtype)
            terms["loss_positive_labels"] = sigmoid_focal_loss(
                pos_logits, target, pos_logits.shape[0], st.focal_alpha, st.focal_gamma
            )

        src_masks = out["pred_masks"].transpose(1, 2)[rows, q].flatten(1)
        tgt_masks = masks.flatten(1)
        w = None if weights is None else weights.flatten(1)
        terms["loss_mask"] = sigmoid_focal_loss(
            src_masks, tgt_masks, num_boxes, st.focal_alpha, st.focal_gamma, weights=w
        )
        terms["loss_dice"] = dice_loss(src_masks, tgt_masks, num_boxes)
        return terms
