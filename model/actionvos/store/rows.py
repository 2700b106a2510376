"""Reading and writing the store's rows as plain dicts, and turning them into records.

Row changes are recorded as whole-row dicts so undo can treat every table the same way;
this module is the one place that knows each table's key and columns.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from actionvos.store.records import (
    ActionRecord,
    ActivityRecord,
    FrameRecord,
    HandBox,
    ModelRecord,
    ObjectRecord,
)
from actionvos.store.schema import FrameState, ModelRole, Source

KEYS: dict[str, tuple[str, ...]] = {
    "objects": ("id",),
    "actions": ("id",),
    "activity": ("action_id", "object_id"),
    "frames": ("frame",),
}
COLUMNS: dict[str, tuple[str, ...]] = {
    "objects": ("id", "name", "class_id", "colour"),
    "actions": (
        "id",
        "narration",
        "verb",
        "noun",
        "verb_class",
        "noun_class",
        "all_nouns",
        "all_noun_classes",
        "start_frame",
        "end_frame",
        "prompt",
        "external_id",
    ),
    "activity": (
        "action_id",
        "object_id",
        "active",
        "probability",
        "source",
        "reasons",
        "model_id",
    ),
    "frames": ("frame", "state", "model_id", "updated"),
}


class Writer(Protocol):
    """Where write statements go: the session, which logs them (see ``session.py``)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor: ...

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> sqlite3.Cursor: ...


DEFAULTS: dict[str, dict[str, object]] = {
    "activity": {"reasons": "{}"},
    "actions": {"all_nouns": "[]", "all_noun_classes": "[]"},
    "models": {"details": "{}"},
}


def get(conn: sqlite3.Connection, table: str, key: dict) -> dict | None:
    cols = COLUMNS[table]
    where = " AND ".join(f"{k} = ?" for k in KEYS[table])
    row = conn.execute(
        f"SELECT {', '.join(cols)} FROM {table} WHERE {where}", [key[k] for k in KEYS[table]]
    ).fetchone()
    return None if row is None else dict(zip(cols, row, strict=True))


def all_rows(conn: sqlite3.Connection, table: str, order: str | None = None) -> list[dict]:
    cols = COLUMNS[table]
    sql = f"SELECT {', '.join(cols)} FROM {table}"
    if order:
        sql += f" ORDER BY {order}"
    return [dict(zip(cols, r, strict=True)) for r in conn.execute(sql)]


def put(conn: Writer, table: str, row: dict) -> None:
    """Insert or update in place (never delete-and-insert, which would cascade)."""
    cols = [c for c in COLUMNS[table] if c in row]
    keys = KEYS[table]
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    conn.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
        f"ON CONFLICT ({', '.join(keys)}) {conflict}",
        [row[c] for c in cols],
    )


def delete(conn: Writer, table: str, key: dict) -> None:
    where = " AND ".join(f"{k} = ?" for k in KEYS[table])
    conn.execute(f"DELETE FROM {table} WHERE {where}", [key[k] for k in KEYS[table]])


def key_of(table: str, row: dict) -> dict:
    return {k: row[k] for k in KEYS[table]}


def to_object(row: dict) -> ObjectRecord:
    return ObjectRecord(row["id"], row["name"], row["class_id"], row["colour"])


def to_action(row: dict) -> ActionRecord:
    return ActionRecord(
        id=row["id"],
        narration=row["narration"],
        start_frame=row["start_frame"],
        end_frame=row["end_frame"],
        verb=row["verb"],
        noun=row["noun"],
        verb_class=row["verb_class"],
        noun_class=row["noun_class"],
        all_nouns=tuple(json.loads(row["all_nouns"])),
        all_noun_classes=tuple(json.loads(row["all_noun_classes"])),
        prompt=row["prompt"],
        external_id=row["external_id"],
    )


def to_activity(row: dict) -> ActivityRecord:
    active = row["active"]
    return ActivityRecord(
        action_id=row["action_id"],
        object_id=row["object_id"],
        active=None if active is None else bool(active),
        source=Source(row["source"]),
        probability=row["probability"],
        reasons=json.loads(row["reasons"]),
        model_id=row["model_id"],
    )


def to_frame(row: dict) -> FrameRecord:
    return FrameRecord(row["frame"], FrameState(row["state"]), row["model_id"], row["updated"])


def hand_boxes(conn: sqlite3.Connection, frame: int) -> list[HandBox]:
    rows = conn.execute(
        "SELECT category, x, y, w, h, polygons, handside, in_contact FROM hand_boxes "
        "WHERE frame = ? ORDER BY id",
        (frame,),
    ).fetchall()
    return [
        HandBox(c, x, y, w, h, tuple(tuple(p) for p in json.loads(polys)), side, contact)
        for c, x, y, w, h, polys, side, contact in rows
    ]


def put_hand_boxes(conn: Writer, frame: int, boxes: list[HandBox]) -> None:
    conn.execute("DELETE FROM hand_boxes WHERE frame = ?", (frame,))
    conn.executemany(
        "INSERT INTO hand_boxes (frame, category, x, y, w, h, polygons, handside, in_contact) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                frame,
                int(b.category),
                float(b.x),
                float(b.y),
                float(b.w),
                float(b.h),
                json.dumps([list(p) for p in b.polygons]),
                b.handside,
                b.in_contact,
            )
            for b in boxes
        ],
    )


def models(conn: sqlite3.Connection) -> list[ModelRecord]:
    rows = conn.execute(
        "SELECT id, name, role, checksum, time, details FROM models ORDER BY id"
    ).fetchall()
    return [ModelRecord(i, n, ModelRole(r), c, t, json.loads(d)) for i, n, r, c, t, d in rows]
