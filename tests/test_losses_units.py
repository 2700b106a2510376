"""Loss pieces against hand-computed values, matching, padding and error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from actionvos.errors import InputError
from actionvos.losses import (
    ActionVOSCriterion,
    LossSettings,
    box_cxcywh_to_xyxy,
    box_xyxy_to_cxcywh,
    clip_target,
    dice_loss,
    generalized_box_iou,
    mask_box_cxcywh,
    sigmoid_focal_loss,
)
from actionvos.losses.boxes import paired_generalized_box_iou


def focal_by_hand(x: float, y: float, w: float = 1.0) -> float:
    p = 1 / (1 + math.exp(-x))
    ce = -(y * math.log(p) + (1 - y) * math.log(1 - p)) * w
    p_t = p * y + (1 - p) * (1 - y)
    alpha_t = 0.25 * y + 0.75 * (1 - y)
    return alpha_t * ce * (1 - p_t) ** 2


def test_focal_loss_by_hand() -> None:
    x = torch.tensor([[0.5, -1.0, 2.0], [0.0, 3.0, -2.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
    w = torch.tensor([[1.0, 2.0, 5.0], [1.0, 1.0, 2.0]], dtype=torch.float64)
    rows = [
        [focal_by_hand(a, b, c) for a, b, c in zip(*r, strict=True)]
        for r in zip(x.tolist(), y.tolist(), w.tolist(), strict=True)
    ]
    expected = sum(sum(r) / 3 for r in rows) / 4.0
    got = sigmoid_focal_loss(x, y, num_boxes=4.0, weights=w)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    plain = sigmoid_focal_loss(x, y, num_boxes=4.0)
    ones = sigmoid_focal_loss(x, y, num_boxes=4.0, weights=torch.ones_like(w))
    assert plain.item() == pytest.approx(ones.item(), rel=1e-12)


def test_dice_loss_by_hand() -> None:
    x = torch.tensor([[0.0, 0.0, 100.0, -100.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0, 1.0, 0.0]], dtype=torch.float64)
    # p = .5, .5, 1, 0: sum(p*g) = 1.5, sum p = 2, sum g = 2 -> 1 - (3 + 1) / (4 + 1)
    assert dice_loss(x, y, num_boxes=2.0).item() == pytest.approx(0.2 / 2, rel=1e-9)


def test_giou_with_smoothing() -> None:
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[0.0, 0.0, 2.0, 2.0], [3.0, 0.0, 4.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    g = generalized_box_iou(a, b)[0]
    assert g[0].item() == pytest.approx(1.0)
    # disjoint: iou = 1e-6 / (6 + 1e-6); enclosing 8, union 6 -> minus (2 + 1e-6) / (8 + 1e-6)
    assert g[1].item() == pytest.approx(1e-6 / 6 - 2 / 8, abs=1e-6)
    assert math.isfinite(g[2].item())  # an empty target box stays finite
    assert torch.equal(paired_generalized_box_iou(a.expand(3, 4), b), g)
    with pytest.raises(ValueError, match="corner boxes"):
        generalized_box_iou(torch.tensor([[2.0, 0.0, 1.0, 1.0]]), a)
    cxcywh = torch.tensor([[0.5, 0.5, 0.2, 0.4]])
    torch.testing.assert_close(box_xyxy_to_cxcywh(box_cxcywh_to_xyxy(cxcywh)), cxcywh)


def test_mask_box_is_inclusive() -> None:
    m = np.zeros((10, 20), dtype=np.uint8)
    m[2:5, 4:9] = 1  # cols 4..8, rows 2..4
    np.testing.assert_allclose(mask_box_cxcywh(m), [6 / 20, 3 / 10, 4 / 20, 2 / 10], rtol=1e-6)
    assert not mask_box_cxcywh(np.zeros((4, 4))).any()


def make_outputs(q_good: int, n_queries: int = 3, frames: int = 2, size: int = 8):
    """Outputs where query ``q_good`` predicts the target square, the others noise."""
    gen = torch.Generator().manual_seed(0)
    logits = torch.full((1, frames, n_queries, 1), -2.0)
    logits[:, :, q_good] = 2.0
    boxes = torch.rand((1, frames, n_queries, 4), generator=gen) * 0.3 + 0.2
    boxes[:, :, q_good] = torch.tensor([0.5, 0.5, 0.5, 0.5])
    masks = torch.randn((1, frames, n_queries, size, size), generator=gen)
    masks[:, :, q_good] = -8.0
    masks[:, :, q_good, 2:6, 2:6] = 8.0
    return {
        "pred_logits": logits,
        "pred_boxes": boxes,
        "pred_masks": masks,
        "pred_positives": torch.tensor([[1.5]]),
    }


def make_target(frames: int = 2, size: int = 32, positive: int = 1):
    mask = torch.zeros((frames, size, size))
    mask[:, 8:24, 8:24] = 1
    return {
        "masks": mask,
        "weights": torch.where(mask > 0, 2.0, 1.0),
        "boxes": torch.tensor([[0.5, 0.5, 0.5, 0.5]] * frames),
        "valid": torch.ones(frames, dtype=torch.int64),
        "positive": torch.full((frames,), positive, dtype=torch.int64),
    }


@pytest.mark.parametrize("q", [0, 2])
def test_matching_finds_the_right_query(q: int) -> None:
    crit = ActionVOSCriterion()
    out = make_outputs(q)
    out["aux_outputs"] = [make_outputs(1)]
    result = crit.compute(out, [make_target()])
    assert result.matched == [[q], [1]]
    assert set(result.terms) == {
        f"{n}{s}"
        for n in (
            "loss_ce",
            "loss_bbox",
            "loss_giou",
            "loss_positive_labels",
            "loss_mask",
            "loss_dice",
        )
        for s in ("", "_0")
    }
    assert result.terms["loss_bbox"].item() == pytest.approx(0.0, abs=1e-7)
    # a perfect box still costs the smoothing: 1e-6 / (enclosing area + 1e-6) per frame
    assert result.terms["loss_giou"].item() == pytest.approx(1e-6 / (0.25 + 1e-6), rel=1e-2)
    # weighted total uses the base weight for aux terms
    total = crit.weighted_total(result.terms)
    manual = sum(v * LossSettings().weights[k.removesuffix("_0")] for k, v in result.terms.items())
    assert total.item() == pytest.approx(manual.item(), rel=1e-6)


def test_positive_target_is_any_frame() -> None:
    crit = ActionVOSCriterion()
    neg = make_target(positive=0)
    pos = make_target(positive=0)
    pos["positive"][1] = 1
    x = torch.tensor([[1.5]], dtype=torch.float64)
    a = crit(make_outputs(0), [neg])["loss_positive_labels"]
    b = crit(make_outputs(0), [pos])["loss_positive_labels"]
    assert a.item() == pytest.approx(sigmoid_focal_loss(x, torch.zeros_like(x), 1).item(), rel=1e-6)
    assert b.item() == pytest.approx(sigmoid_focal_loss(x, torch.ones_like(x), 1).item(), rel=1e-6)


def test_padding_weights_are_zero() -> None:
    # 30x30 targets pad to 32x32 with zero weights: a bad prediction there costs nothing.
    crit = ActionVOSCriterion()
    target = make_target(size=30)
    out = make_outputs(0)
    base = crit(out, [target])["loss_mask"]
    out["pred_masks"][:, :, :, -1, :] = 50.0  # last stride-4 row samples the padding only
    assert crit(out, [target])["loss_mask"].item() == pytest.approx(base.item(), rel=1e-6)


def test_gradients_flow_and_bad_sizes_are_named() -> None:
    crit = ActionVOSCriterion()
    out = make_outputs(1)
    for v in out.values():
        v.requires_grad_(True)
    crit.weighted_total(crit(out, [make_target()])).backward()
    assert out["pred_masks"].grad is not None and out["pred_masks"].grad.abs().sum() > 0
    with pytest.raises(InputError, match="pred_masks are"):
        crit(make_outputs(1), [make_target(size=64)])
    with pytest.raises(InputError, match="2 targets for a batch of 1"):
        crit(make_outputs(1), [make_target(), make_target()])
    nan = make_outputs(1)
    nan["pred_boxes"][0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="not finite"):
        crit(nan, [make_target()])


def test_clip_target_for_a_negative_object() -> None:
    ann = np.zeros((2, 8, 8), dtype=np.int32)
    ann[:, 2:4, 2:6] = 3
    raw = np.ones((2, 8, 8), dtype=np.uint8)
    raw[ann == 3] = 3
    t = clip_target(ann, raw, 3, positive=False, class_id=7)
    assert not t["masks"].any() and not t["boxes"].any()
    assert t["weights"][ann == 3].eq(5).all() and t["weights"][ann == 0].eq(1).all()
    assert t["positive"].tolist() == [0, 0] and t["labels"].tolist() == [7, 7]
    with pytest.raises(InputError, match="same size"):
        clip_target(ann, raw[:, :4], 3, positive=True)
