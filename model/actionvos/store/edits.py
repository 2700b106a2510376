"""Row changes and the history recorder: human corrections become undo steps.

Plain functions over a ``Session``. A correction (one undo step) is opened lazily by the
first change recorded in it, so a group of edits that changes nothing leaves no history.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from actionvos.store import rows
from actionvos.store.history import MaskDiff
from actionvos.store.schema import APPLIED, DISCARDED, UNDONE
from actionvos.store.session import Group, Session
from actionvos.store.stamps import now, user


@contextlib.contextmanager
def correction(
    s: Session, label: str, action_id: int | None = None, *, record_all: bool = False
) -> Iterator[None]:
    """Group several edits into one undo step (nested groups join the outer one)."""
    if s.group is not None:
        with s.edit():
            yield
        return
    s.group = Group(label, action_id, record_all)
    try:
        with s.edit():
            yield
    finally:
        s.group = None


def recording(s: Session, record: bool) -> bool:
    """Whether a write goes into the history: as asked, or always inside an import step."""
    return record or (s.group is not None and s.group.record_all)


def _correction_id(s: Session, label: str, action_id: int | None) -> int:
    group = s.group
    if group is not None and group.id is not None:
        return group.id
    if group is not None:
        label, action_id = group.label, group.action_id
    # A new correction makes the undone ones unreachable, as in any editor.
    s.execute(
        "UPDATE corrections SET status = ?, status_time = ? WHERE status = ?",
        (DISCARDED, now(), UNDONE),
    )
    cur = s.execute(
        "INSERT INTO corrections (time, user, label, action_id, status) VALUES (?,?,?,?,?)",
        (now(), user(), label, action_id, APPLIED),
    )
    if group is not None:
        group.id = int(cur.lastrowid)
    return int(cur.lastrowid)


def record_row(
    s: Session,
    table: str,
    before: dict | None,
    after: dict | None,
    label: str,
    action_id: int | None,
) -> None:
    cid = _correction_id(s, label, action_id)
    key = rows.key_of(table, after if after is not None else before)
    s.execute(
        "INSERT INTO changes (correction_id, kind, tbl, key, before, after) "
        "VALUES (?, 'row', ?, ?, ?, ?)",
        (cid, table, json.dumps(key), json.dumps(before), json.dumps(after)),
    )


def record_mask(s: Session, diff: MaskDiff, label: str, action_id: int | None) -> None:
    cid = _correction_id(s, label, action_id)
    bbox, before, after = diff.encode()
    s.execute(
        "INSERT INTO changes (correction_id, kind, frame, object_ids, bbox, before_pixels, "
        "after_pixels) VALUES (?, 'mask', ?, ?, ?, ?, ?)",
        (cid, diff.frame, json.dumps(diff.object_ids), bbox, before, after),
    )


def change_row(
    s: Session,
    table: str,
    key: dict,
    values: dict | None,
    *,
    record: bool,
    label: str,
    action_id: int | None = None,
) -> bool:
    """Upsert (or delete, for ``values=None``) one row; record it when asked."""
    before = rows.get(s.conn, table, key)
    after = None
    if values is not None:
        merged = {**rows.DEFAULTS.get(table, {}), **(before or {}), **key, **values}
        after = {c: merged.get(c) for c in rows.COLUMNS[table]}
    if after == before:
        return False
    if after is None:
        rows.delete(s, table, key)
    else:
        rows.put(s, table, after)
    if record:
        record_row(s, table, before, after, label, action_id)
    return True
