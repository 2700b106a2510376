"""Turn an engine result into the two mask volumes the widget shows.

The *active* volume is exactly the official ActionVOS output at the chosen threshold. The
*inactive* volume shows, where the active one is empty, the masks of objects the gate turned
off, so an annotator can see them and flip them to active.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from actionvos.errors import Cancelled, InputError

#: The two editable mask volumes live in memory; beyond this the CLI is the tool to use.
MAX_LAYER_BYTES = 4 << 30


def check_layer_budget(n_frames: int, height: int, width: int) -> None:
    """Refuse, before any work, mask layers that would not fit in memory."""
    need = 2 * n_frames * height * width
    if need > MAX_LAYER_BYTES:
        raise InputError(
            f"the active and inactive layers of this clip would take {need / 2**30:.1f} GiB of "
            f"memory ({n_frames} frames of {width}x{height}); open a shorter segment for "
            "review, or run `actionvos predict` on the whole clip"
        )


def mask_volumes(
    result,
    threshold: float,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(active, inactive) uint8 volumes ``[T, H0, W0]``; value k is object k (1-based)."""
    t_total = result.num_frames
    h, w = result.frame_size
    check_layer_budget(t_total, h, w)
    active = np.zeros((t_total, h, w), np.uint8)
    inactive = np.zeros((t_total, h, w), np.uint8)
    gate = result.active_per_frame(threshold)  # [T, N]
    for t in range(t_total):
        if cancel is not None and cancel.is_set():
            raise Cancelled("building masks was cancelled")
        active[t] = result.label_map(t, threshold)
        ungated = result.label_map(t, 0.0)
        off = np.concatenate([[False], ~gate[t]])[ungated]
        inactive[t] = np.where(off & (active[t] == 0), ungated, 0)
        if progress:
            progress(t + 1, t_total, "building masks")
    return active, inactive


def keep_human_edits(
    active: np.ndarray,
    inactive: np.ndarray,
    previous: tuple[np.ndarray, np.ndarray],
    edited_frames: list[int],
    human: dict[int, bool],
) -> None:
    """Re-apply a person's decisions to freshly gated volumes, in place.

    Objects a person ticked stay in the layer they chose; frames a person painted keep their
    painted masks. Without this, changing θ after reviewing would silently undo the review.
    """
    for index, make_active in human.items():
        k = index + 1
        src, dst = (inactive, active) if make_active else (active, inactive)
        where = src == k
        dst[where] = k
        src[where] = 0
    for t in edited_frames:
        active[t] = previous[0][t]
        inactive[t] = previous[1][t]


def human_work(active_meta: dict, inactive_meta: dict) -> tuple[list[int], dict[int, bool]]:
    """What a person did to a pair of mask layers: the frames painted or verified (this
    session's strokes, and frames a reopened store records as human-verified) and the
    active/inactive flags set by hand (object index -> active)."""
    from actionvos.store import FrameState

    frames: set[int] = set()
    for meta in (active_meta, inactive_meta):
        frames |= {int(t) for t in meta.get("edited_frames", [])}
        states = meta.get("frame_states") or []
        frames |= {t for t, s in enumerate(states) if s == FrameState.HUMAN.value}
    human = {int(k): bool(v) for k, v in active_meta.get("human", {}).items()}
    return sorted(frames), human
