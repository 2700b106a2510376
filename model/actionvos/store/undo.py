"""Undo and redo from the history table, so they work across sessions and restarts.

The history is linear: undo takes the newest applied correction, redo the oldest undone one,
and a new correction discards everything undone (it can no longer be redone). Undo and redo
are edits like any other: they reach disk on the next save.
"""

from __future__ import annotations

import json

import numpy as np

from actionvos.store import frames, rows
from actionvos.store.history import MaskDiff, merge_row, redo_mask, undo_mask
from actionvos.store.records import Correction
from actionvos.store.schema import APPLIED, DISCARDED, UNDONE
from actionvos.store.session import Session
from actionvos.store.stamps import now as _now

_STATUS = {APPLIED: "applied", UNDONE: "undone", DISCARDED: "discarded"}


def history(s: Session, *, include_discarded: bool = False) -> list[Correction]:
    """Corrections, oldest first, with the frames and objects each one touched."""
    sql = "SELECT id, time, user, label, action_id, status FROM corrections"
    if not include_discarded:
        sql += f" WHERE status != {DISCARDED}"
    with s.db():
        out = []
        for cid, time, user, label, action_id, status in s.conn.execute(
            sql + " ORDER BY id"
        ).fetchall():
            out.append(_describe(s, cid, time, user, label, action_id, status))
    return out


def _describe(s: Session, cid, time, user, label, action_id, status) -> Correction:
    frames: set[int] = set()
    objects: set[int] = set()
    summary: list[str] = []
    for kind, frame, object_ids, tbl, key, before, after in s.conn.execute(
        "SELECT kind, frame, object_ids, tbl, key, before, after FROM changes "
        "WHERE correction_id = ? ORDER BY id",
        (cid,),
    ):
        if kind == "mask":
            frames.add(frame)
            ids = json.loads(object_ids)
            objects.update(ids)
            summary.append(f"frame {frame}: pixels of objects {ids}")
            continue
        key = json.loads(key)
        before, after = json.loads(before), json.loads(after)
        if tbl == "frames":
            frames.add(key["frame"])
        if tbl == "objects":
            objects.add(key["id"])
        if tbl == "activity":
            objects.add(key["object_id"])
        changed = sorted(
            c
            for c in set(before or {}) | set(after or {})
            if (before or {}).get(c) != (after or {}).get(c) and c != "updated"
        )
        what = "added" if before is None else "removed" if after is None else changed
        summary.append(f"{tbl} {key}: {what}")
    return Correction(
        id=cid,
        time=time,
        user=user,
        label=label,
        action_id=action_id,
        status=_STATUS[status],
        frames=tuple(sorted(frames)),
        object_ids=tuple(sorted(objects)),
        summary=tuple(summary),
    )


def _next(s: Session, status: int, newest: bool) -> int | None:
    row = s.conn.execute(
        f"SELECT id FROM corrections WHERE status = ? ORDER BY id "
        f"{'DESC' if newest else 'ASC'} LIMIT 1",
        (status,),
    ).fetchone()
    return None if row is None else int(row[0])


def can_undo(s: Session) -> bool:
    return _next(s, APPLIED, True) is not None


def can_redo(s: Session) -> bool:
    return _next(s, UNDONE, False) is not None


def undo(s: Session) -> Correction | None:
    """Revert the newest applied correction (even one from an earlier session)."""
    return step(s, undo=True)


def redo(s: Session) -> Correction | None:
    """Re-apply the correction undone most recently."""
    return step(s, undo=False)


def step(s: Session, *, undo: bool) -> Correction | None:
    s.check_writable()
    with s.edit():
        cid = _next(s, APPLIED if undo else UNDONE, newest=undo)
        if cid is None:
            return None
        changes = s.conn.execute(
            "SELECT kind, frame, tbl, key, before, after, bbox, before_pixels, after_pixels "
            f"FROM changes WHERE correction_id = ? ORDER BY id {'DESC' if undo else 'ASC'}",
            (cid,),
        ).fetchall()
        for kind, frame, tbl, key, before, after, bbox, before_px, after_px in changes:
            if kind == "mask":
                _step_mask(s, MaskDiff.decode(frame, bbox, before_px, after_px), undo)
            else:
                _step_row(s, tbl, json.loads(key), json.loads(before), json.loads(after), undo)
        s.execute(
            "UPDATE corrections SET status = ?, status_time = ? WHERE id = ?",
            (UNDONE if undo else APPLIED, _now(), cid),
        )
        row = s.conn.execute(
            "SELECT id, time, user, label, action_id, status FROM corrections WHERE id = ?",
            (cid,),
        ).fetchone()
        return _describe(s, *row)


def _step_mask(s: Session, diff: MaskDiff, undo: bool) -> None:
    current = s.read_frame(diff.frame)
    target = undo_mask(current, diff) if undo else redo_mask(current, diff)
    if np.array_equal(target, current):
        return
    present = frames.pixel_counts(target)
    missing = set(present) - frames.known_objects(s)
    if missing:
        # The object was removed since; keep its pixels out rather than orphan them.
        target = np.where(np.isin(target, list(missing)), current, target).astype(np.uint16)
        present = frames.pixel_counts(target)
    s.stage_frame(diff.frame, target, present)


def _step_row(
    s: Session, table: str, key: dict, before: dict | None, after: dict | None, undo: bool
) -> None:
    current = rows.get(s.conn, table, key)
    target = merge_row(current, before, after, undo=undo)
    if target == current:
        return
    if target is None:
        rows.delete(s, table, key)
    else:
        rows.put(s, table, target)
