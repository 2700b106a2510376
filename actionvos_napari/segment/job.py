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

from actionvos.errors import InputError
from actionvos.labeling import label_objects
from actionvos_napari.app.session import EngineCache, RunRequest
from actionvos_napari.layers.model_output import check_layer_budget, mask_volumes

Progress = Callable[[int, int, str], None]


@dataclass
class SegmentOutcome:
    """What the widget turns into layers and table rows.

    ``active``/``inactive`` always cover the whole clip; a run on part of it (``start`` and
    ``result.num_frames`` say which) fills only those frames, the rest are what the layers
    showed before (or empty).
    """

    request: RunRequest
    result: Any  # actionvos.engine.result.EngineResult
    active: np.ndarray  # uint8 [T, H, W]
    inactive: np.ndarray  # uint8 [T, H, W]
    probs: list[float]
    gate: list[bool]
    reasons: list[list[str]]
    start: int = 0
    ran_on: str = ""  # the device and precision actually used, e.g. "cpu, fp32"

    @property
    def frames(self) -> range:
        """The frames this run segmented."""
        return range(self.start, self.start + self.result.num_frames)


class FrameSpan:
    """Frames ``first..last`` of a clip as a clip of their own (lazy: nothing is copied)."""

    def __init__(self, clip: Any, first: int, last: int) -> None:
        n = len(clip)
        if not 0 <= first <= last < n:
            raise InputError(
                f"frames {first}–{last} are not inside the clip (frames 0–{n - 1}); choose a "
                "range inside it"
            )
        self.clip, self.first, self.last = clip, int(first), int(last)
        shape = getattr(clip, "shape", None)
        if shape is not None:
            self.shape = (self.last - self.first + 1, *tuple(shape)[1:])

    def __len__(self) -> int:
        return self.last - self.first + 1

    def __getitem__(self, t: int) -> Any:
        if not -len(self) <= t < len(self):
            raise IndexError(t)
        return self.clip[self.first + (t % len(self))]


def place(
    span: tuple[np.ndarray, np.ndarray],
    start: int,
    base: tuple[np.ndarray, np.ndarray] | None,
    n_frames: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-clip volumes: ``base`` (or empty) with ``span``'s frames written from ``start``."""
    out = []
    for part, under in zip(span, base or (None, None), strict=True):
        full = (
            np.array(under, dtype=part.dtype, copy=True)
            if under is not None
            else np.zeros((n_frames, *part.shape[1:]), part.dtype)
        )
        full[start : start + part.shape[0]] = part
        out.append(full)
    return out[0], out[1]


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
    base: tuple[np.ndarray, np.ndarray] | None = None,
) -> SegmentOutcome:
    """Run ActionVOS for one action on a clip (any ``len``/``[t]`` source of RGB frames).

    With ``request.span`` only those frames run; ``base`` (the layers' volumes of the same
    objects) keeps the other frames as they were.
    """
    shape = getattr(clip, "shape", (len(clip), 0, 0))
    check_layer_budget(len(clip), int(shape[1]), int(shape[2]))
    first, last = request.span if request.span is not None else (0, len(clip) - 1)
    frames = clip if (first, last) == (0, len(clip) - 1) else FrameSpan(clip, first, last)
    engine = engines.get(request)
    result = engine.run(
        frames, list(request.objects), request.narration, progress=progress, cancel=cancel
    )
    threshold = request.threshold
    active, inactive = mask_volumes(result, threshold, progress, cancel)
    probs, gate, reasons = explain(result, active, inactive, request.narration, threshold)
    if frames is not clip:
        active, inactive = place((active, inactive), first, base, len(clip))
    ran_on = f"{engine.device}, {engine.precision}"
    return SegmentOutcome(request, result, active, inactive, probs, gate, reasons, first, ran_on)
