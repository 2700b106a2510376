"""Frame masks and states: writing label maps, clearing frames, and what is labelled.

Plain functions over a ``Session``. Each write stages the frame's chunk and its per-object
pixel counts together, so ``verify.py`` can tell a lost or swapped chunk from a real one.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from actionvos.errors import InputError
from actionvos.store import edits, rows, upgrade
from actionvos.store.history import diff_masks
from actionvos.store.masks import ChunkError
from actionvos.store.records import FrameRecord
from actionvos.store.schema import MAX_OBJECT_ID, FrameState
from actionvos.store.session import Session
from actionvos.store.stamps import now


def pixel_counts(labels: np.ndarray) -> dict[int, int]:
    """Pixels per object id in a label map (background left out)."""
    counts = np.bincount(np.asarray(labels).ravel())
    return {int(i): int(counts[i]) for i in np.flatnonzero(counts) if i != 0}


def known_objects(s: Session) -> set[int]:
    return {r[0] for r in s.query("SELECT id FROM objects")}


def validated_labels(s: Session, frame: int, labels: np.ndarray) -> tuple[np.ndarray, dict]:
    """The label map as uint16 and its pixel counts, or an InputError saying what is wrong."""
    _, height, width = s.shape
    labels = np.asarray(labels)
    if labels.shape != (height, width):
        raise InputError(
            f"masks for frame {frame} have shape {labels.shape}; this store holds "
            f"{height}x{width} frames. Resize with nearest neighbour first"
        )
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == np.bool_):
        raise InputError(f"masks for frame {frame} must be integer labels, not {labels.dtype}")
    if labels.dtype != np.uint16 and labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi > MAX_OBJECT_ID:
            raise InputError(
                f"masks for frame {frame} hold labels {lo}..{hi}; object ids are "
                f"1..{MAX_OBJECT_ID} and 0 is background"
            )
    labels = np.ascontiguousarray(labels, dtype=np.uint16)
    present = pixel_counts(labels)
    unknown = sorted(set(present) - known_objects(s))
    if unknown:
        raise InputError(
            f"masks for frame {frame} use labels {unknown[:10]} that are not objects of "
            f"this store; add them first (Store.add_object) or relabel those pixels"
        )
    return labels, present


def set_masks(
    s: Session,
    frame: int,
    labels: np.ndarray,
    state: FrameState = FrameState.HUMAN,
    *,
    model_id: int | None = None,
    record: bool | None = None,
    overwrite_human: bool = False,
    overwrite_propagated: bool = False,
    action_id: int | None = None,
    label: str | None = None,
) -> bool:
    """Replace one frame's label map and state. Returns False if nothing changed.

    ``record`` (default: state is HUMAN) puts the change in the undo history. A write never
    replaces a frame of higher rank (``FrameState.rank``): model, pseudo-label and propagated
    writes leave a human-verified frame alone unless ``overwrite_human``; model and
    pseudo-label writes leave a propagated frame alone unless ``overwrite_propagated`` (or
    ``overwrite_human``, which lifts every rank).
    """
    frame = s.check_frame(frame)
    state = FrameState(state)
    if state is FrameState.UNLABELLED:
        raise InputError("set_masks writes labels; use unlabel_frame to clear a frame")
    record = (state is FrameState.HUMAN) if record is None else record
    text = label or f"masks of frame {frame}"
    with edits.correction(s, text, action_id):
        record = edits.recording(s, record)
        labels, present = validated_labels(s, frame, labels)
        current_row = rows.get(s.conn, "frames", {"frame": frame})
        current = FrameState.UNLABELLED if current_row is None else FrameState(current_row["state"])
        if not _may_replace(current, state, overwrite_human, overwrite_propagated):
            return False
        if state is FrameState.PROPAGATED:
            upgrade.allow_propagated(s)
        diff = diff_masks(frame, s.read_frame(frame), labels)
        if diff is not None:
            s.stage_frame(frame, labels, present)
            if record:
                edits.record_mask(s, diff, text, action_id)
        same_state = current_row is not None and (
            current_row["state"] == state.value and current_row["model_id"] == model_id
        )
        if diff is None and same_state:
            return False
        values = {"state": state.value, "model_id": model_id, "updated": now()}
        edits.change_row(
            s, "frames", {"frame": frame}, values, record=record, label=text, action_id=action_id
        )
        return True


def _may_replace(
    current: FrameState, new: FrameState, overwrite_human: bool, overwrite_propagated: bool
) -> bool:
    """Whether a write in state ``new`` may replace a frame in state ``current``."""
    if new.rank >= current.rank or overwrite_human:
        return True
    return current is FrameState.PROPAGATED and overwrite_propagated


def unlabel_frame(s: Session, frame: int, *, record: bool = True) -> bool:
    """Erase a frame's masks and mark it unlabelled (undoable).

    Also the repair for a frame whose chunk is damaged or missing: the frame is cleared, and
    only its state goes into the history (the lost pixels cannot be restored by undo).
    """
    frame = s.check_frame(frame)
    text = f"clear frame {frame}"
    with edits.correction(s, text):
        record = edits.recording(s, record)
        try:
            current = s.read_frame(frame)
        except ChunkError:
            current = None
        blank = np.zeros(s.shape[1:], dtype=np.uint16)
        diff = None if current is None else diff_masks(frame, current, blank)
        if current is None or diff is not None:
            s.stage_frame(frame, blank, {})
        if diff is not None and record:
            edits.record_mask(s, diff, text, None)
        changed = edits.change_row(s, "frames", {"frame": frame}, None, record=record, label=text)
        return changed or current is None or diff is not None


def frame_state(s: Session, frame: int) -> FrameState:
    row = rows.get(s.conn, "frames", {"frame": s.check_frame(frame)})
    return FrameState.UNLABELLED if row is None else FrameState(row["state"])


def frame_records(s: Session) -> list[FrameRecord]:
    with s.db():
        return [rows.to_frame(r) for r in rows.all_rows(s.conn, "frames", "frame")]


def labelled_frames(s: Session, states: Iterable[FrameState] | None = None) -> list[int]:
    """Frames with labels, in order; optionally only those in the given states."""
    if states is None:
        got = s.query("SELECT frame FROM frames ORDER BY frame")
    else:
        values = [FrameState(x).value for x in states]
        marks = ",".join("?" for _ in values)
        got = s.query(f"SELECT frame FROM frames WHERE state IN ({marks}) ORDER BY frame", values)
    return [r[0] for r in got]


def objects_in_frames(s: Session, frames: Iterable[int]) -> dict[int, int]:
    """Pixel counts per object over the given frames (from the index, no decoding)."""
    frames = [int(f) for f in frames]
    out: dict[int, int] = {}
    for start in range(0, len(frames), 500):
        part = frames[start : start + 500]
        marks = ",".join("?" for _ in part)
        for oid, n in s.query(
            "SELECT object_id, SUM(pixels) FROM frame_objects "
            f"WHERE frame IN ({marks}) GROUP BY object_id",
            part,
        ):
            out[int(oid)] = out.get(int(oid), 0) + int(n)
    return out


def read_frames(s: Session, frames: list[int] | range) -> np.ndarray:
    """Several frames stacked as ``(len(frames), height, width)``, all from one save."""
    _, height, width = s.shape
    out = np.zeros((len(frames), height, width), dtype=np.uint16)
    with s.snapshot():
        for i, frame in enumerate(frames):
            out[i] = s.read_frame(frame)
    return out
