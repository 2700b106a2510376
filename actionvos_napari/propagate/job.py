"""The work behind the Propagate button and the confidence strip, Qt-free for worker threads.

* :func:`frame_states` - each frame's store state as Save would write it, read from the two
  mask layers' metadata (painted frames are human-verified, see :mod:`actionvos_napari.store.save`);
* :func:`propagate_object` - one object's mask on one frame carried to the neighbouring frames
  with :mod:`actionvos.propagation` (the widget's session keeps the clip's ``FlowCache``);
* :func:`paste_into_layers` - that result written into the active/inactive volumes, and
  :func:`describe` - the status line about it;
* :func:`keep_propagated` - propagated masks kept through a re-gate (a new θ);
* :func:`strip_confidence` - the strip's ``[T, N]`` confidence.

Pasting differs from :func:`actionvos.propagation.store_writer.paste_object` on purpose: a
propagated mask only claims background pixels. Other objects' masks there are the model's or a
person's, at least as trustworthy as a flow guess; a person fixes an overlap with one stroke of
the propagated label, whereas an object the propagation painted over would need repainting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from actionvos.errors import InputError
from actionvos.propagation.confidence import frame_confidence
from actionvos.propagation.flow import FlowCache
from actionvos.propagation.propagate import PropagationRequest, PropagationResult, propagate
from actionvos.store import FrameState
from actionvos_napari.layers.convert import merge_roles
from actionvos_napari.store.save import STATES

Progress = Callable[[int, int, str], None]
Probabilities = Callable[[int], np.ndarray]  # frame -> float [N, H, W] (EngineResult)


def default_state(source: str) -> FrameState:
    """The state Save gives an unpainted frame of layers from ``source`` (no recorded states)."""
    return STATES.get(source, FrameState.HUMAN)


def recorded_states(active_meta: dict, inactive_meta: dict, n_frames: int) -> list[str]:
    """The ``frame_states`` list Save reads (the active layer's first, as ``role_pair``
    merges them), completed from the layers' source where absent (``model`` for a run)."""
    recorded = active_meta.get("frame_states") or inactive_meta.get("frame_states") or []
    default = default_state(str(active_meta.get("source", ""))).value
    return [str(recorded[t]) if t < len(recorded) else default for t in range(n_frames)]


def frame_states(active_meta: dict, inactive_meta: dict, n_frames: int) -> list[FrameState]:
    """Each frame's state as Save would write it: painted frames human-verified, the rest
    as :func:`recorded_states` says."""
    states = [FrameState(s) for s in recorded_states(active_meta, inactive_meta, n_frames)]
    for t in set(active_meta.get("edited_frames", [])) | set(
        inactive_meta.get("edited_frames", [])
    ):
        if 0 <= int(t) < n_frames:
            states[int(t)] = FrameState.HUMAN
    return states


def human_frames(states: Sequence[FrameState]) -> frozenset[int]:
    """Frames a propagation must never write (and where it stops)."""
    return frozenset(t for t, s in enumerate(states) if s is FrameState.HUMAN)


def propagate_object(
    frames: Any,
    labels: np.ndarray,
    index: int,
    frame: int,
    human: Iterable[int],
    flows: FlowCache,
    probabilities: Probabilities | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    name: str | None = None,
) -> PropagationResult:
    """Carry object ``index`` (label ``index + 1``) from ``frame`` of the merged ``labels``.

    ``frames`` is the clip (any ``len``/``[t]`` RGB source) that ``flows`` was made from,
    ``human`` the human-verified frames (never written, the propagation stops before them),
    ``probabilities(t)[index]`` the model's map of the object when there is a run.
    """
    labels = np.asarray(labels)
    what = name or f"object {index + 1}"
    if labels.ndim != 3:
        raise InputError(f"the label map must be [frames, height, width], got {labels.shape}")
    if len(frames) != labels.shape[0] or flows.n_frames != labels.shape[0]:
        raise InputError(
            f"the clip has {len(frames)} frames but the mask layers {labels.shape[0]}; select "
            "the clip these masks belong to"
        )
    if flows.shape != labels.shape[1:]:
        raise InputError(
            f"the clip's frames are {flows.shape[1]}x{flows.shape[0]} but the mask layers "
            f"{labels.shape[2]}x{labels.shape[1]}; select the clip these masks belong to"
        )
    if not 0 <= frame < labels.shape[0]:
        raise InputError(f"frame {frame} is outside the clip (0..{labels.shape[0] - 1})")
    mask = labels[frame] == index + 1
    if not mask.any():
        raise InputError(
            f"{what} has no pixels on frame {frame}; paint it there (or go to a frame that "
            "shows it), then Propagate"
        )
    model = None
    if probabilities is not None:

        def model(t: int) -> np.ndarray:
            return np.asarray(probabilities(t)[index], dtype=np.float32)

    request = PropagationRequest(
        frame,
        mask,
        index + 1,
        stop_frames=frozenset(int(t) for t in human) - {frame},
        model_probability=model,
    )
    return propagate(request, flows, progress, cancel)


def paste_into_layers(
    active: np.ndarray,
    inactive: np.ndarray,
    result: PropagationResult,
    in_active: bool,
    skip: Iterable[int] = (),
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Copies of the two volumes with the result's masks in the layer holding the object.

    On every reached frame not in ``skip`` (frames that became human-verified meanwhile) the
    object's old pixels are cleared in both layers, then its propagated mask is painted in
    its own layer where neither layer holds another object (see the module docstring).
    Returns the new volumes and the frames written.
    """
    k = result.object_id
    new_active, new_inactive = np.array(active, copy=True), np.array(inactive, copy=True)
    own, other = (new_active, new_inactive) if in_active else (new_inactive, new_active)
    skipped = {int(t) for t in skip}
    written = []
    for t in result.frames:
        if t in skipped:
            continue
        own[t][own[t] == k] = 0
        other[t][other[t] == k] = 0
        free = (own[t] == 0) & (other[t] == 0)
        own[t][result.masks[t] & free] = k
        written.append(t)
    return new_active, new_inactive, written


def keep_propagated(
    active: np.ndarray, inactive: np.ndarray, previous: tuple[np.ndarray, np.ndarray], trust: dict
) -> None:
    """Re-apply propagated masks to freshly gated volumes (a θ change), in place.

    ``trust`` is the layers' ``propagated_confidence``. A propagation is a person's request,
    so like a painted frame it survives a re-gate: on each propagated frame the object gets its
    previous pixels back, in the layer the new gate puts it (its previous one if it is gone).
    Without this the frames would keep the *propagated* state over the model's masks.
    """
    labels = {int(index) + 1 for per_object in trust.values() for index in per_object}
    in_active = {
        k: bool((active == k).any())
        or (not (inactive == k).any() and bool((previous[0] == k).any()))
        for k in labels
    }
    for t, per_object in trust.items():
        t = int(t)
        for index in per_object:
            k = int(index) + 1
            was = (previous[0][t] == k) | (previous[1][t] == k)
            own, other = (active, inactive) if in_active[k] else (inactive, active)
            own[t][(own[t] == k) & ~was] = 0
            other[t][(other[t] == k) | was] = 0
            own[t][was] = k


def strip_confidence(
    active: np.ndarray,
    inactive: np.ndarray,
    n_objects: int,
    states: Sequence[FrameState],
    propagated: dict | None = None,
    probabilities: Probabilities | None = None,
) -> np.ndarray:
    """``float [T, N]``: the strip's confidence, from the layers' data and metadata.

    ``propagated`` is the layers' ``propagated_confidence`` (``{str(t): {str(index): c}}``).
    """
    labels = merge_roles(active, inactive)
    table = np.full((labels.shape[0], n_objects), np.nan)
    for t, per_object in (propagated or {}).items():
        for index, value in per_object.items():
            if int(t) < table.shape[0] and int(index) < n_objects:
                table[int(t), int(index)] = float(value)
    return frame_confidence(
        labels, n_objects, states, propagated=table, probabilities=probabilities
    )


def describe(result: PropagationResult, name: str, written: list[int]) -> str:
    """The status line: how many frames, and why each direction stopped."""
    where = {1: "forward", -1: "backward"}
    stops = "; ".join(f"{where[d]}: {why}" for d, why in sorted(result.stopped.items()))
    if not written:
        return f"{name}: propagation from frame {result.frame} reached no frame ({stops})"
    low = min(result.confidence[t] for t in written)
    return (
        f"{name}: propagated from frame {result.frame} to {len(written)} frames "
        f"({_ranges(written)}, lowest confidence {low:.2f}); {stops}"
    )


def _ranges(frames: list[int]) -> str:
    """``0–1, 3–8`` for [0, 1, 3, 4, 5, 6, 7, 8]."""
    runs: list[list[int]] = []
    for t in sorted(frames):
        if runs and t == runs[-1][1] + 1:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)
