"""Score an engine on clips whose ground truth is known, the official way, in memory.

The same figures as ``actionvos evaluate`` on folders (:mod:`.folders`), without writing PNGs:
used to report the quality of trained weights and of fine-tuned versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .scores import ActionVOSScores, MetricAccumulator


@dataclass
class LabelledClip:
    """Frames, the ground-truth label map of every object (k = object k-1) and its flags."""

    name: str
    frames: np.ndarray  # uint8 [T, H, W, 3]
    labels: np.ndarray  # int [T, H, W]
    object_names: list[str]
    positive: list[bool]
    narration: str


def add_result(
    acc: MetricAccumulator,
    clip: LabelledClip,
    result,
    threshold: float | None = None,  # noqa: ANN001
) -> None:
    """Score every frame of an engine result against the clip's truth, gated at ``threshold``
    (default: the result's own gate); results keep probabilities, so any θ re-gates."""
    positives = {k + 1: bool(p) for k, p in enumerate(clip.positive)}
    for t, pred in enumerate(result.label_maps(threshold)):
        acc.add_frame(pred, clip.labels[t], positives, sequence=clip.name, frame=str(t))


def score_engine(engine, clips: Iterable[LabelledClip], progress=None) -> ActionVOSScores:  # noqa: ANN001
    """Run ``engine`` on every clip and accumulate the six ActionVOS figures."""
    acc = MetricAccumulator()
    for i, clip in enumerate(clips):
        add_result(acc, clip, engine.run(clip.frames, clip.object_names, clip.narration))
        if progress is not None:
            progress(i + 1, clip.name)
    return acc.summary()
