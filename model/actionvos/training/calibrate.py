"""Choose a model's positive gate θ on clips it was not trained on and will not be scored on.

The official checkpoints ship θ = 0.75, tuned upstream. A model trained here needs its own:
the engine runs each calibration clip once (probabilities are kept, so every θ re-gates
without the network), and the θ with the best gIoU is written into the model's config.json,
where the engine and the widget take their default gate from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from actionvos.metrics.engine_eval import LabelledClip, add_result
from actionvos.metrics.scores import MetricAccumulator
from actionvos.network import ModelConfig

#: Seeds of calibration clips: below the evaluation seeds, above any training run's.
CALIBRATION_SEED_BASE = 900_000
GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.96, 0.05))


@dataclass(frozen=True)
class Calibration:
    threshold: float
    giou: float
    accuracy: float
    by_threshold: dict[float, float]


def calibrate_threshold(
    engine,
    clips: Sequence[LabelledClip],
    grid: Sequence[float] = GRID,
    progress: Callable | None = None,
) -> Calibration:  # noqa: ANN001
    """The θ of ``grid`` with the best gIoU over ``clips`` (ties: the one nearest 0.5)."""
    results = []
    for i, clip in enumerate(clips):
        results.append((clip, engine.run(clip.frames, clip.object_names, clip.narration)))
        if progress is not None:
            progress(i + 1, len(clips))
    scores = {}
    for th in grid:
        acc = MetricAccumulator()
        for clip, result in results:
            add_result(acc, clip, result, th)
        scores[float(th)] = acc.summary()
    best = max(scores, key=lambda th: (round(scores[th].giou, 6), -abs(th - 0.5)))
    return Calibration(
        best, scores[best].giou, scores[best].accuracy, {th: s.giou for th, s in scores.items()}
    )


def write_threshold(model_dir: str | Path, threshold: float) -> None:
    """Store θ in the model folder's config.json (atomically, like every config write)."""
    from actionvos.checkpoints.native import CONFIG, atomic_write

    path = Path(model_dir) / CONFIG
    cfg = ModelConfig.from_json(path)
    cfg.pos_cls_threshold = float(threshold)
    atomic_write(path, cfg.to_json)
