"""Where an annotation starts: empty masks, or a model's output for the clip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from actionvos.engine.result import EngineResult
from actionvos.store.schema import FrameState


@dataclass(frozen=True)
class ModelOutput:
    """A model's answer for one clip, as the widget shows it.

    ``labels`` merges every object's mask, gated on or off (the widget's *active* and
    *inactive* layers together); ``positive`` is each object's frame-weighted positive
    probability, ``probabilities`` the ungated maps ``[T, N, H, W]`` the confidence uses.
    """

    labels: np.ndarray  # uint16 [T, H, W]
    positive: np.ndarray  # float [N]
    threshold: float
    probabilities: np.ndarray  # float16 [T, N, H, W]

    @classmethod
    def from_result(cls, result: EngineResult) -> ModelOutput:
        labels = np.stack([result.label_map(t, threshold=0.0) for t in range(result.num_frames)])
        probs = np.stack([result.probabilities(t) for t in range(result.num_frames)])
        return cls(
            labels.astype(np.uint16),
            result.mean_positive().astype(np.float64),
            float(result.threshold),
            probs.astype(np.float16),
        )

    @property
    def active(self) -> np.ndarray:
        return self.positive >= self.threshold


@dataclass
class AnnotationState:
    """The annotation in progress: masks, activity flags, frame states, propagation trust."""

    labels: np.ndarray  # uint16 [T, H, W]
    active: np.ndarray  # bool [N]
    states: list[FrameState]
    propagated: np.ndarray  # float [T, N], NaN where object k was not propagated to frame t

    @classmethod
    def empty(cls, shape: tuple[int, int, int], active: np.ndarray) -> AnnotationState:
        """Nothing painted; the flags as given (a person painting knows what is active)."""
        n = len(active)
        return cls(
            np.zeros(shape, np.uint16),
            np.array(active, dtype=bool),
            [FrameState.UNLABELLED] * shape[0],
            np.full((shape[0], n), np.nan),
        )

    @classmethod
    def from_model(cls, output: ModelOutput) -> AnnotationState:
        n_frames, n = output.labels.shape[0], len(output.positive)
        return cls(
            output.labels.copy(),
            output.active.copy(),
            [FrameState.MODEL] * n_frames,
            np.full((n_frames, n), np.nan),
        )

    def human_frames(self) -> frozenset[int]:
        return frozenset(t for t, s in enumerate(self.states) if s is FrameState.HUMAN)
