"""The work behind the Run button, Qt-free so it can run in a worker thread.

Loads the engine (cached by the session), runs it over the clip, builds the two mask volumes
and explains each object's label with the model's score and the action-aware labeling rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from actionvos.labeling import label_objects
from actionvos_napari.model_output import check_layer_budget, mask_volumes
from actionvos_napari.session import EngineCache, RunRequest

Progress = Callable[[int, int, str], None]


@dataclass
class SegmentOutcome:
    """What the widget turns into layers and table rows."""

    request: RunRequest
    result: Any  # actionvos.engine.result.EngineResult
    active: np.ndarray  # uint8 [T, H, W]
    inactive: np.ndarray  # uint8 [T, H, W]
    probs: list[float]
    gate: list[bool]
    reasons: list[list[str]]


def explain(
    result: Any, active: np.ndarray, inactive: np.ndarray, narration: str, threshold: float
) -> tuple[list[float], list[bool], list[list[str]]]:
    """Per object: mean positive probability, gate decision, and human-readable reasons."""
    probs = [float(p) for p in result.mean_positive()]
    gate = [bool(g) for g in result.active(threshold).any(axis=0)]
    merged = np.where(active > 0, active, inactive)
    labels = label_objects(merged, result.objects, narration)
    reasons = []
    for p, g, lab in zip(probs, gate, labels, strict=True):
        why = [f"model p={p:.2f} {'≥' if g else '<'} θ={threshold:.2f}"]
        why += [f"rule: {r}" for r in lab.reasons]
        reasons.append(why)
    return probs, gate, reasons


def run_segment(
    request: RunRequest,
    clip: Any,
    engines: EngineCache,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SegmentOutcome:
    """Run ActionVOS for one action on a clip (any ``len``/``[t]`` source of RGB frames)."""
    shape = getattr(clip, "shape", (len(clip), 0, 0))
    check_layer_budget(len(clip), int(shape[1]), int(shape[2]))
    engine = engines.get(request)
    result = engine.run(
        clip, list(request.objects), request.narration, progress=progress, cancel=cancel
    )
    threshold = request.threshold
    active, inactive = mask_volumes(result, threshold, progress, cancel)
    probs, gate, reasons = explain(result, active, inactive, request.narration, threshold)
    return SegmentOutcome(request, result, active, inactive, probs, gate, reasons)
