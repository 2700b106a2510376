"""Per-object, per-frame confidence: where a mask may have drifted, and what to review next.

* a human-verified frame scores 1;
* a propagated frame scores its propagation confidence (forward-backward flow consistency
  along the way, see ``propagate.py``);
* any other frame (model output, pseudo-label, unlabelled) scores the model's mean
  probability inside the object's mask (1 - its highest probability when the mask is
  empty: the model should be sure the object is absent), times the mask's temporal
  stability: its mean IoU with the masks of the previous and next frames (two empty masks
  agree). A mask that jumps between frames, or that the model itself doubts, scores low.
  Without probabilities the stability alone is the score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from actionvos.errors import InputError
from actionvos.metrics.scores import mask_iou
from actionvos.store.schema import FrameState

Probabilities = Callable[[int], np.ndarray]  # frame -> float [N, H, W] (EngineResult.probabilities)


def stability(labels: np.ndarray, n_objects: int) -> np.ndarray:
    """``float [T, N]``: mean IoU of each object's mask with its neighbouring frames' masks."""
    labels = np.asarray(labels)
    n_frames = labels.shape[0]
    out = np.ones((n_frames, n_objects), dtype=np.float64)
    if n_frames < 2:
        return out
    step = np.empty((n_frames - 1, n_objects))
    for t in range(n_frames - 1):
        for k in range(n_objects):
            step[t, k] = mask_iou(labels[t] == k + 1, labels[t + 1] == k + 1)
    out[0], out[-1] = step[0], step[-1]
    out[1:-1] = (step[:-1] + step[1:]) / 2
    return out


def model_belief(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``float [N]``: mean probability inside each object's mask (1 - max if it is empty)."""
    out = np.empty(probs.shape[0])
    for k in range(probs.shape[0]):
        inside = labels == k + 1
        out[k] = probs[k][inside].mean() if inside.any() else 1.0 - float(probs[k].max())
    return out


def frame_confidence(
    labels: np.ndarray,
    n_objects: int,
    states: Sequence[FrameState],
    *,
    propagated: np.ndarray | None = None,
    probabilities: Probabilities | None = None,
) -> np.ndarray:
    """``float [T, N]`` in [0, 1]: how much to trust object k's mask at frame t.

    ``labels`` is the clip's current label map ``[T, H, W]`` (value k = object k, both the
    active and the inactive objects), ``states`` each frame's store state, ``propagated`` a
    ``[T, N]`` array of propagation confidences (NaN where object k was not propagated to
    frame t), ``probabilities(t)`` the model's ``[N, H, W]`` maps of frame t.
    """
    labels = np.asarray(labels)
    n_frames = labels.shape[0]
    if len(states) != n_frames:
        raise InputError(f"{len(states)} frame states for a clip of {n_frames} frames")
    if propagated is not None and np.shape(propagated) != (n_frames, n_objects):
        raise InputError(
            f"propagated confidences must be [{n_frames}, {n_objects}], got {np.shape(propagated)}"
        )
    out = stability(labels, n_objects)
    for t in range(n_frames):
        state = FrameState(states[t])
        if state is FrameState.HUMAN:
            out[t] = 1.0
            continue
        if probabilities is not None:
            probs = np.asarray(probabilities(t), dtype=np.float32)
            if probs.shape != (n_objects, *labels.shape[1:]):
                raise InputError(
                    f"the probabilities of frame {t} are {probs.shape}; expected "
                    f"{(n_objects, *labels.shape[1:])}"
                )
            out[t] *= model_belief(labels[t], probs)
        if propagated is not None and state is FrameState.PROPAGATED:
            given = ~np.isnan(propagated[t])
            out[t, given] = propagated[t, given]
    return np.clip(out, 0.0, 1.0)


def least_confident(
    confidence: np.ndarray,
    *,
    skip_frames: Sequence[int] = (),
    objects: Sequence[int] | None = None,
) -> tuple[int, int] | None:
    """``(frame, object index)`` with the lowest confidence, for **Next to review**.

    ``skip_frames`` (e.g. human-verified ones) and objects outside ``objects`` (0-based
    indices; all by default) are never picked; ties go to the earliest frame, then the
    lowest index. None when nothing is left to review.
    """
    conf = np.array(confidence, dtype=np.float64)
    if conf.ndim != 2:
        raise InputError(f"confidence must be [frames, objects], got shape {conf.shape}")
    conf[list(skip_frames)] = np.inf
    if objects is not None:
        keep = np.zeros(conf.shape[1], dtype=bool)
        keep[list(objects)] = True
        conf[:, ~keep] = np.inf
    flat = int(np.argmin(conf))
    t, k = divmod(flat, conf.shape[1])
    return None if not np.isfinite(conf[t, k]) else (t, k)
