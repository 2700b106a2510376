"""ActionVOS metrics on arrays: p-mIoU, n-mIoU, p-cIoU, n-cIoU, gIoU and accuracy.

Definitions from ActionVOS ``actionvos_metrics.py`` (after GRES). Every object of every
annotated frame is one sample, scored with its intersection I and union U:

* **positive** object: U = 0 -> TN, gIoU 1 (no IoU sample); otherwise its IoU joins p-mIoU and
  its I, U join p-cIoU, and: no ground truth -> FP, gIoU 0; ground truth but nothing
  predicted -> FN, gIoU = IoU (= 0); both -> TP, gIoU = IoU;
* **negative** object: U = 0 -> TN, gIoU 1; otherwise IoU joins n-mIoU and I, U n-cIoU, and:
  predicted anywhere -> FP, gIoU 0; ground truth but nothing predicted -> TN, gIoU 1.

mIoU is the mean IoU, cIoU = sum I / sum U, gIoU the mean gIoU, accuracy (TP + TN) / all.
Sums run in Python in the reference's order so the figures match it to the last bit; a figure
with no samples is NaN (the reference would divide by zero).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from actionvos.errors import InputError

FIGURES = ("p_miou", "n_miou", "p_ciou", "n_ciou", "giou", "accuracy")
LABELS = {
    "p_miou": "p-mIoU",
    "n_miou": "n-mIoU",
    "p_ciou": "p-cIoU",
    "n_ciou": "n-cIoU",
    "giou": "gIoU",
    "accuracy": "Acc",
}


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks; 1.0 when both are empty (nothing to get wrong, as gIoU scores
    an empty prediction of an empty truth)."""
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


@dataclass(frozen=True)
class ObjectSample:
    """One object in one frame: pixel counts and whether it takes part in the action."""

    sequence: str
    positive: bool
    intersection: float
    union: float
    pred_area: float
    gt_area: float


@dataclass
class ActionVOSScores:
    """The six figures (fractions, NaN when undefined) and the outcome counts."""

    p_miou: float
    n_miou: float
    p_ciou: float
    n_ciou: float
    giou: float
    accuracy: float
    tp: int
    tn: int
    fp: int
    fn: int
    n_sequences: int
    n_samples: int

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-ready: NaN becomes None."""
        d = asdict(self)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=1)

    def format(self) -> str:
        """Plain-text table like the reference script's printout."""
        lines = [f"----- evaluation on {self.n_sequences} sequences -----"]
        for name in FIGURES:
            value = getattr(self, name)
            shown = "n/a (no samples)" if math.isnan(value) else f"{value:.6f}  ({100 * value:.2f})"
            lines.append(f"{LABELS[name] + ':':<8} {shown}")
        lines.append(f"TN, TP, FN, FP: {self.tn}, {self.tp}, {self.fn}, {self.fp}")
        return "\n".join(lines)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def summarise(samples: Iterable[ObjectSample], n_sequences: int | None = None) -> ActionVOSScores:
    """The six figures over samples, taken in order."""
    miou = {True: [], False: []}
    ci = {True: [], False: []}
    cu = {True: [], False: []}
    gious: list[float] = []
    tp = tn = fp = fn = 0
    sequences: set[str] = set()
    n = 0
    for s in samples:
        n += 1
        sequences.add(s.sequence)
        if s.union <= 0:
            gious.append(1)
            tn += 1
            continue
        miou[s.positive].append(s.intersection / s.union)
        ci[s.positive].append(s.intersection)
        cu[s.positive].append(s.union)
        if s.gt_area <= 0:
            fp += 1
            gious.append(0)
        elif s.positive:
            gious.append(s.intersection / s.union)
            if s.pred_area <= 0:
                fn += 1
            else:
                tp += 1
        elif s.pred_area <= 0:
            gious.append(1)
            tn += 1
        else:
            gious.append(0)
            fp += 1
    return ActionVOSScores(
        p_miou=_ratio(sum(miou[True]), len(miou[True])),
        n_miou=_ratio(sum(miou[False]), len(miou[False])),
        p_ciou=_ratio(sum(ci[True]), sum(cu[True])),
        n_ciou=_ratio(sum(ci[False]), sum(cu[False])),
        giou=_ratio(sum(gious), len(gious)),
        accuracy=_ratio(tn + tp, tn + tp + fn + fp),
        tp=tp,
        tn=tn,
        fp=fp,
        fn=fn,
        n_sequences=len(sequences) if n_sequences is None else n_sequences,
        n_samples=n,
    )


def _check_labels(labels: np.ndarray, known: set[int], what: str) -> None:
    extra = sorted(int(v) for v in np.unique(labels) if v != 0 and int(v) not in known)
    if extra:
        raise InputError(
            f"{what} holds label(s) {extra} that are not objects of this sequence "
            f"(known: {sorted(known)}); label k must be object k of the split"
        )


@dataclass
class MetricAccumulator:
    """Collect samples object by object, frame by frame; :meth:`summary` gives the figures.

    The trainer and the app feed label maps (:meth:`add_frame`) or single object masks
    (:meth:`add_object`); sequences are kept apart so :meth:`summary` can score one of them.
    """

    samples: list[ObjectSample] = field(default_factory=list)

    def add_object(
        self, pred: np.ndarray, gt: np.ndarray, positive: bool, *, sequence: str = ""
    ) -> ObjectSample:
        """Score one object in one frame from its predicted and ground-truth masks."""
        p = np.asarray(pred) > 0
        g = np.asarray(gt) > 0
        if p.shape != g.shape:
            raise InputError(
                f"prediction {p.shape} and ground truth {g.shape} differ in size"
                + (f" in sequence {sequence}" if sequence else "")
            )
        inter = float(np.logical_and(p, g).sum())
        pa, ga = float(p.sum()), float(g.sum())
        sample = ObjectSample(sequence, bool(positive), inter, pa + ga - inter, pa, ga)
        self.samples.append(sample)
        return sample

    def add_frame(
        self,
        pred_labels: np.ndarray,
        gt_labels: np.ndarray,
        positives: Mapping[int, bool],
        *,
        sequence: str = "",
        frame: str = "",
        strict: bool = True,
    ) -> None:
        """Score every object of one frame from label maps (label k = object k).

        ``positives`` maps each object id of the sequence to its positive flag, in the order
        the samples are taken. With ``strict`` a label outside it is an error, since it means
        the prediction and the split disagree about the objects.
        """
        pred = np.asarray(pred_labels)
        gt = np.asarray(gt_labels)
        where = " ".join(x for x in (f"sequence {sequence}" if sequence else "", frame) if x)
        if pred.shape != gt.shape:
            raise InputError(
                f"prediction {pred.shape} and ground truth {gt.shape} differ in size"
                + (f" ({where})" if where else "")
                + "; predictions must be saved at the ground-truth resolution"
            )
        if strict:
            known = {int(k) for k in positives}
            _check_labels(pred, known, f"prediction ({where})" if where else "prediction")
            _check_labels(gt, known, f"ground truth ({where})" if where else "ground truth")
        for k, positive in positives.items():
            self.add_object(pred == int(k), gt == int(k), positive, sequence=sequence)

    def add_sequence(
        self,
        pred_labels: np.ndarray,
        gt_labels: np.ndarray,
        positives: Mapping[int, bool],
        *,
        sequence: str = "",
    ) -> None:
        """Score ``[T, H, W]`` label volumes frame by frame."""
        pred, gt = np.asarray(pred_labels), np.asarray(gt_labels)
        if pred.ndim != 3 or pred.shape != gt.shape:
            raise InputError(
                f"sequence {sequence!r}: prediction {pred.shape} and ground truth {gt.shape} "
                "must both be [T, H, W] of the same size"
            )
        for t in range(pred.shape[0]):
            self.add_frame(pred[t], gt[t], positives, sequence=sequence, frame=f"frame {t}")

    def merge(self, other: MetricAccumulator) -> None:
        self.samples.extend(other.samples)

    def summary(self, sequence: str | None = None) -> ActionVOSScores:
        """Figures over every sample, or over one sequence's."""
        if sequence is None:
            return summarise(self.samples)
        return summarise(s for s in self.samples if s.sequence == sequence)

    def sequences(self) -> list[str]:
        """Sequence names in the order they were first seen."""
        return list(dict.fromkeys(s.sequence for s in self.samples))
