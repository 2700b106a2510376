"""The six ActionVOS figures on arrays: every edge case by hand, invariants by hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actionvos.errors import InputError
from actionvos.metrics import MetricAccumulator, ObjectSample, summarise


def sample(positive: bool, inter: float, pred: float, gt: float) -> ObjectSample:
    return ObjectSample("s", positive, inter, pred + gt - inter, pred, gt)


@pytest.mark.parametrize(
    ("positive", "inter", "pred", "gt", "outcome", "giou", "in_miou"),
    [
        (True, 0, 0, 0, "tn", 1.0, False),  # nothing anywhere: counts for gIoU and Acc only
        (True, 0, 4, 0, "fp", 0.0, True),  # predicted but absent from the ground truth
        (True, 0, 0, 4, "fn", 0.0, True),  # present, missed
        (True, 2, 4, 4, "tp", 2 / 6, True),  # any overlap-or-not hit is a TP; gIoU = IoU
        (True, 0, 3, 4, "tp", 0.0, True),  # predicted elsewhere: still TP, IoU 0
        (False, 0, 0, 0, "tn", 1.0, False),
        (False, 0, 0, 4, "tn", 1.0, True),  # negative present and rightly left out
        (False, 1, 2, 4, "fp", 0.0, True),  # negative segmented
        (False, 0, 2, 0, "fp", 0.0, True),  # negative absent but predicted
    ],
)
def test_each_case(positive, inter, pred, gt, outcome, giou, in_miou) -> None:
    s = summarise([sample(positive, inter, pred, gt)])
    assert {k: getattr(s, k) for k in ("tp", "tn", "fp", "fn")} == {
        k: int(k == outcome) for k in ("tp", "tn", "fp", "fn")
    }
    assert s.giou == pytest.approx(giou)
    assert s.accuracy == (1.0 if outcome in ("tp", "tn") else 0.0)
    miou = s.p_miou if positive else s.n_miou
    other = s.n_miou if positive else s.p_miou
    assert math.isnan(other)
    if in_miou:
        assert miou == pytest.approx(inter / (pred + gt - inter))
    else:
        assert math.isnan(miou) and math.isnan(s.p_ciou if positive else s.n_ciou)


def test_means_and_cumulative_ious() -> None:
    samples = [
        sample(True, 2, 4, 4),  # IoU 2/6
        sample(True, 9, 10, 10),  # IoU 9/11
        sample(True, 0, 0, 0),  # not in mIoU
        sample(False, 0, 0, 5),  # IoU 0
        sample(False, 3, 3, 5),  # IoU 3/5
    ]
    s = summarise(samples)
    assert s.p_miou == pytest.approx((2 / 6 + 9 / 11) / 2)
    assert s.p_ciou == pytest.approx((2 + 9) / (6 + 11))
    assert s.n_miou == pytest.approx((0 + 3 / 5) / 2)
    assert s.n_ciou == pytest.approx(3 / 10)
    assert s.giou == pytest.approx((2 / 6 + 9 / 11 + 1 + 1 + 0) / 5)
    assert (s.tp, s.tn, s.fp, s.fn) == (2, 2, 1, 0)
    assert s.accuracy == pytest.approx(4 / 5)
    assert summarise([]).as_dict()["giou"] is None


def test_frames_and_sequences() -> None:
    acc = MetricAccumulator()
    gt = np.array([[1, 1, 0], [2, 2, 0]], dtype=np.uint8)
    pred = np.array([[1, 0, 0], [0, 0, 2]], dtype=np.uint8)
    acc.add_frame(pred, gt, {1: True, 2: False}, sequence="a")
    ideal = np.where(gt == 2, 0, gt)  # positives segmented, the negative left out
    acc.add_sequence(ideal[None], gt[None], {1: True, 2: False}, sequence="b")
    assert acc.sequences() == ["a", "b"]
    a = acc.summary("a")
    assert (a.tp, a.fp, a.n_samples) == (1, 1, 2) and a.p_miou == pytest.approx(0.5)
    b = acc.summary("b")
    assert (b.tp, b.tn, b.p_miou, b.n_miou) == (1, 1, 1.0, 0.0)
    assert acc.summary().n_sequences == 2
    with pytest.raises(InputError, match=r"differ in size \(sequence a f1\)"):
        acc.add_frame(pred[:, :2], gt, {1: True}, sequence="a", frame="f1")
    with pytest.raises(InputError, match=r"label\(s\) \[2\]"):
        acc.add_frame(pred, gt, {1: True})
    with pytest.raises(InputError, match=r"label\(s\) \[9\]"):
        acc.add_frame(np.full_like(gt, 9), gt, {1: True, 2: False})
    acc.add_frame(pred, gt, {1: True}, strict=False)  # other labels ignored, as upstream


labels = st.integers(0, 3)
maps = st.lists(st.lists(labels, min_size=4, max_size=4), min_size=3, max_size=3).map(
    lambda rows: np.array(rows, dtype=np.uint8)
)
flags = st.tuples(st.booleans(), st.booleans(), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(maps, min_size=1, max_size=3), flags)
def test_perfect_prediction_scores_one_where_defined(frames, pos) -> None:
    """Perfect = every positive object segmented exactly and every negative one left out."""
    acc = MetricAccumulator()
    positives = {k + 1: p for k, p in enumerate(pos)}
    for f in frames:
        ideal = np.where(np.isin(f, [k for k, p in positives.items() if not p]), 0, f)
        acc.add_frame(ideal, f, positives)
    s = acc.summary()
    assert s.accuracy == 1.0 and s.giou == 1.0 and s.fp == 0 and s.fn == 0
    for value in (s.p_miou, s.p_ciou):
        assert math.isnan(value) or value == 1.0
    for value in (s.n_miou, s.n_ciou):
        assert math.isnan(value) or value == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(maps, min_size=1, max_size=3), st.lists(maps, min_size=3, max_size=3), flags)
def test_a_false_positive_never_raises_accuracy(gts, preds, pos) -> None:
    positives = {k + 1: p for k, p in enumerate(pos)}
    acc = MetricAccumulator()
    for g, p in zip(gts, preds, strict=False):
        acc.add_frame(p, g, positives)
    before = acc.summary()
    # add an object absent from the ground truth but predicted: a false positive
    acc.add_object(np.ones((3, 4)), np.zeros((3, 4)), positive=bool(pos[0]))
    after = acc.summary()
    assert after.fp == before.fp + 1
    assert after.accuracy <= before.accuracy
    assert after.giou <= before.giou
