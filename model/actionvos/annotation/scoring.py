"""The clip's gIoU while a bot edits it, without rescoring every frame after each edit.

The samples and the figure are the official ones (``actionvos.metrics.scores``): one
``ObjectSample`` per object and frame, summarised by ``summarise``. Only the pixel counts of
an edited frame are recomputed; an inactive object scores as if its mask were empty, as in
the widget's *active* layer, which is what the official output holds.
"""

from __future__ import annotations

import numpy as np

from actionvos.metrics.scores import ObjectSample, summarise


def _counts(pred: np.ndarray, truth: np.ndarray, n: int) -> np.ndarray:
    """``[3, N]``: intersection, predicted and true pixels of objects 1..N in one frame."""
    same = np.bincount(pred[pred == truth].ravel(), minlength=n + 1)[1 : n + 1]
    pa = np.bincount(pred.ravel(), minlength=n + 1)[1 : n + 1]
    ga = np.bincount(truth.ravel(), minlength=n + 1)[1 : n + 1]
    return np.stack([same, pa, ga]).astype(np.float64)


class ClipScorer:
    """Official gIoU of label maps against the truth, updated one frame at a time."""

    def __init__(self, truth: np.ndarray, positive: np.ndarray) -> None:
        self.truth = np.asarray(truth)
        self.positive = np.asarray(positive, dtype=bool)
        self.n_objects = len(self.positive)
        self._counts = np.zeros((self.truth.shape[0], 3, self.n_objects))

    def update(self, t: int, labels: np.ndarray) -> None:
        """Recount frame ``t`` after its label map changed."""
        self._counts[t] = _counts(np.asarray(labels), self.truth[t], self.n_objects)

    def update_all(self, labels: np.ndarray) -> None:
        for t in range(self.truth.shape[0]):
            self.update(t, labels[t])

    def samples(self, active: np.ndarray) -> list[ObjectSample]:
        out = []
        for t in range(self.truth.shape[0]):
            inter, pa, ga = self._counts[t]
            for k in range(self.n_objects):
                i, p = (inter[k], pa[k]) if active[k] else (0.0, 0.0)
                out.append(ObjectSample("clip", bool(self.positive[k]), i, p + ga[k] - i, p, ga[k]))
        return out

    def giou(self, active: np.ndarray) -> float:
        """The clip's gIoU (a fraction) with these activity flags."""
        return summarise(self.samples(active)).giou

    def iou(self, t: int, k: int) -> float:
        """IoU of object index ``k``'s mask at frame ``t`` (its flag aside); 1 if both empty."""
        inter, pa, ga = self._counts[t, :, k]
        union = pa + ga - inter
        return 1.0 if union == 0 else float(inter / union)
