"""Carry one object's corrected mask from its frame to the neighbouring frames.

From the corrected frame t the mask is warped one frame at a time, forward (t+1, t+2, ...)
and backward (t-1, t-2, ...), along dense optical flow (``flow.py``). Where the model has a
probability map for the object, each warped mask is blended with it by a weighted vote::

    keep pixel  <=>  (1 - w) * warped + w * model_probability >= 0.5

with w = ``model_weight`` (0.4 by default). With w < 0.5 a pixel the flow carries with
certainty (warped 1 or 0) stays as the flow says; the model decides only where the flow is
unsure (the soft band that bilinear warping leaves at the mask's boundary), which stops the
boundary from drifting. w = 0 is the flow alone; w > 0.5 lets the model add and remove
whole regions.

Each step's trust is its forward-backward flow consistency on the mask (``warp.py``); the
confidence of a frame is the product of the steps that led there, since errors add up along
the way. A direction stops before the next frame in ``stop_frames`` (human-verified), after
``max_frames``, at the clip's end, when the confidence falls below ``min_confidence`` (that
frame is not written) or when the mask has vanished from view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from actionvos.errors import Cancelled, InputError
from actionvos.propagation.flow import FlowCache
from actionvos.propagation.warp import consistency_inside, consistent, warp

Progress = Callable[[int, int, str], None]
ModelProbability = Callable[[int], np.ndarray]  # frame -> float [H, W] in [0, 1]

FORWARD, BACKWARD = 1, -1


@dataclass(frozen=True)
class PropagationRequest:
    """Propagate ``mask`` (object ``object_id`` at ``frame``) to the neighbouring frames."""

    frame: int
    mask: np.ndarray  # bool [H, W], the corrected mask
    object_id: int = 1
    stop_frames: frozenset[int] = frozenset()  # never written: human-verified frames
    max_frames: int = 30  # per direction
    min_confidence: float = 0.5
    directions: tuple[int, ...] = (FORWARD, BACKWARD)
    model_weight: float = 0.4
    model_probability: ModelProbability | None = None  # the model's map of this object

    def __post_init__(self) -> None:
        if np.asarray(self.mask).ndim != 2:
            raise InputError(f"the mask to propagate must be [H, W], got {np.shape(self.mask)}")
        if self.max_frames < 0:
            raise InputError(f"max_frames must be 0 or more, got {self.max_frames}")
        if not 0 <= self.min_confidence <= 1:
            raise InputError(f"min_confidence must be in [0, 1], got {self.min_confidence}")
        if not 0 <= self.model_weight <= 1:
            raise InputError(f"model_weight must be in [0, 1], got {self.model_weight}")
        bad = [d for d in self.directions if d not in (FORWARD, BACKWARD)]
        if bad:
            raise InputError(f"directions are 1 (forward) and -1 (backward), got {bad}")


@dataclass
class PropagationResult:
    """The masks carried to each reached frame, their confidence, and why each side stopped."""

    frame: int
    object_id: int
    masks: dict[int, np.ndarray] = field(default_factory=dict)  # frame -> bool [H, W]
    confidence: dict[int, float] = field(default_factory=dict)  # frame -> [0, 1]
    stopped: dict[int, str] = field(default_factory=dict)  # direction -> reason

    @property
    def frames(self) -> list[int]:
        return sorted(self.masks)


def propagate(
    request: PropagationRequest,
    flows: FlowCache,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> PropagationResult:
    """Propagate the request's mask along ``flows``; see the module docstring for the rules.

    ``progress(done, total, message)`` is called after every frame; ``cancel`` set stops with
    ``Cancelled`` (nothing is written anywhere: the caller writes the result).
    """
    t0 = _check(request, flows)
    result = PropagationResult(t0, request.object_id)
    total = _planned(request, flows.n_frames)
    done = 0
    for direction in request.directions:
        mask = np.asarray(request.mask, dtype=bool)
        confidence = 1.0
        for step in range(1, request.max_frames + 2):
            t = t0 + direction * step
            reason = _stop_reason(request, t, step, flows.n_frames, mask)
            if reason is not None:
                result.stopped[direction] = reason
                break
            if cancel is not None and cancel.is_set():
                raise Cancelled("propagation was cancelled; nothing was written")
            mask, step_confidence = _step(request, flows, t - direction, t, mask)
            confidence *= step_confidence
            if confidence < request.min_confidence:
                result.stopped[direction] = (
                    f"confidence {confidence:.2f} at frame {t} is below {request.min_confidence}"
                )
                break
            result.masks[t] = mask
            result.confidence[t] = confidence
            done += 1
            if progress is not None:
                progress(done, total, f"propagated object {request.object_id} to frame {t}")
    return result


def _check(request: PropagationRequest, flows: FlowCache) -> int:
    t0 = int(request.frame)
    if not 0 <= t0 < flows.n_frames:
        raise InputError(f"frame {t0} is outside the clip (0..{flows.n_frames - 1})")
    if np.shape(request.mask) != flows.shape:
        raise InputError(
            f"the mask is {np.shape(request.mask)} but the clip's frames are {flows.shape}"
        )
    return t0


def _planned(request: PropagationRequest, n_frames: int) -> int:
    """Frames the request could reach at most (the progress total)."""
    out = 0
    for d in request.directions:
        reach = (n_frames - 1 - request.frame) if d == FORWARD else request.frame
        out += min(reach, request.max_frames)
    return max(out, 1)


def _stop_reason(
    request: PropagationRequest, t: int, step: int, n_frames: int, mask: np.ndarray
) -> str | None:
    if not 0 <= t < n_frames:
        return "end of the clip"
    if t in request.stop_frames:
        return f"frame {t} is human-verified"
    if step > request.max_frames:
        return f"frame limit ({request.max_frames})"
    if not mask.any():
        return f"the object left the view before frame {t}"
    return None


def _step(
    request: PropagationRequest, flows: FlowCache, src: int, dst: int, mask: np.ndarray
) -> tuple[np.ndarray, float]:
    """The mask carried from ``src`` to ``dst`` (one frame apart) and the step's trust."""
    forward = flows.pull(dst, src)
    warped = warp(mask, forward)
    if request.model_probability is not None and request.model_weight > 0:
        prob = np.asarray(request.model_probability(dst), dtype=np.float32)
        if prob.shape != warped.shape:
            raise InputError(
                f"the model's probability map of frame {dst} is {prob.shape}, the frames are "
                f"{warped.shape}"
            )
        w = request.model_weight
        warped = (1.0 - w) * warped + w * prob
    carried = warped >= 0.5
    ok = consistent(forward, flows.pull(src, dst))
    return carried, consistency_inside(ok, carried)
