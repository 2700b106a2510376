"""The store's catalogue: objects, actions, activity flags, hand boxes and model versions.

Imports add rows without history; human corrections (renames, flags, action fixes) are
recorded so they can be undone. A model or rule never overrides a human's activity flag.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from actionvos.errors import InputError
from actionvos.palette import davis_palette
from actionvos.store import edits, rows
from actionvos.store.records import (
    ActionRecord,
    ActivityRecord,
    HandBox,
    ModelRecord,
    ObjectRecord,
)
from actionvos.store.schema import MAX_OBJECT_ID, ModelRole, Source
from actionvos.store.session import Session
from actionvos.store.stamps import now as _now

_PALETTE = davis_palette()
_ACTION_FIELDS = rows.COLUMNS["actions"][1:]  # every column but the id


def object_colour(object_id: int) -> str:
    """The DAVIS palette colour of an object id (ids past 255 wrap, skipping black)."""
    r, g, b = _PALETTE[(int(object_id) - 1) % 255 + 1]
    return f"#{r:02x}{g:02x}{b:02x}"


# ------------------------------------------------------------------ objects


def objects(s: Session) -> list[ObjectRecord]:
    with s.db():
        return [rows.to_object(r) for r in rows.all_rows(s.conn, "objects", "id")]


def object_record(s: Session, object_id: int) -> ObjectRecord:
    row = rows.get(s.conn, "objects", {"id": int(object_id)})
    if row is None:
        raise InputError(f"there is no object {object_id} in the store {s.path}")
    return rows.to_object(row)


def object_id_of(s: Session, name: str) -> int | None:
    """The id of the object with this name, or None."""
    row = s.conn.execute("SELECT id FROM objects WHERE name = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


def object_id_free(s: Session, object_id: int) -> bool:
    """Whether a new object could take this id."""
    if not 1 <= int(object_id) <= MAX_OBJECT_ID:
        return False
    return rows.get(s.conn, "objects", {"id": int(object_id)}) is None


def add_object(
    s: Session,
    name: str,
    class_id: int | None = None,
    *,
    colour: str | None = None,
    object_id: int | None = None,
) -> int:
    """Add an object (its id is the label value of its pixels); returns the id."""
    name = str(name).strip()
    if not name:
        raise InputError("an object needs a non-empty name")
    with s.edit():
        if object_id_of(s, name) is not None:
            raise InputError(f"an object named {name!r} already exists in {s.path}")
        if object_id is None:
            object_id = (
                int(s.conn.execute("SELECT COALESCE(MAX(id), 0) FROM objects").fetchone()[0]) + 1
            )
        if not 1 <= int(object_id) <= MAX_OBJECT_ID:
            raise InputError(f"object ids are 1..{MAX_OBJECT_ID}; got {object_id}")
        if rows.get(s.conn, "objects", {"id": int(object_id)}) is not None:
            raise InputError(f"object id {object_id} is taken in {s.path}")
        values = {
            "name": name,
            "class_id": None if class_id is None else int(class_id),
            "colour": colour or object_colour(int(object_id)),
        }
        edits.change_row(s, "objects", {"id": int(object_id)}, values, record=False, label="")
    return int(object_id)


def ensure_object(s: Session, name: str, class_id: int | None = None) -> int:
    """The id of the object with this name, adding it if needed (imports use this)."""
    existing = object_id_of(s, str(name).strip())
    if existing is not None:
        if class_id is not None and object_record(s, existing).class_id is None:
            update_object(s, existing, class_id=class_id, record=False)
        return existing
    return add_object(s, name, class_id)


def update_object(
    s: Session,
    object_id: int,
    *,
    name: str | None = None,
    class_id: int | None = None,
    colour: str | None = None,
    record: bool = True,
) -> bool:
    """Rename or reclassify an object (a correction, undoable)."""
    current = object_record(s, object_id)
    values: dict = {}
    if name is not None and name.strip() != current.name:
        if not name.strip():
            raise InputError("an object needs a non-empty name")
        if object_id_of(s, name.strip()) is not None:
            raise InputError(f"an object named {name.strip()!r} already exists")
        values["name"] = name.strip()
    if class_id is not None:
        values["class_id"] = int(class_id)
    if colour is not None:
        values["colour"] = colour
    with s.edit():
        return edits.change_row(
            s,
            "objects",
            {"id": current.id},
            values,
            record=record,
            label=f"edit object {current.name!r}",
        )


def remove_object(s: Session, object_id: int) -> None:
    """Delete an object with no pixels left, and its activity flags (undoable)."""
    current = object_record(s, object_id)
    frames = [
        r[0]
        for r in s.conn.execute(
            "SELECT frame FROM frame_objects WHERE object_id = ? ORDER BY frame LIMIT 5",
            (current.id,),
        )
    ]
    if frames:
        raise InputError(
            f"object {current.name!r} still has pixels in frames {frames}...; erase them "
            "(or relabel them) before removing the object"
        )
    label = f"remove object {current.name!r}"
    with edits.correction(s, label), s.edit():
        for (action_id,) in s.conn.execute(
            "SELECT action_id FROM activity WHERE object_id = ?", (current.id,)
        ).fetchall():
            key = {"action_id": action_id, "object_id": current.id}
            edits.change_row(s, "activity", key, None, record=True, label=label)
        edits.change_row(s, "objects", {"id": current.id}, None, record=True, label=label)


# ------------------------------------------------------------------ actions


def actions(s: Session) -> list[ActionRecord]:
    with s.db():
        return [
            rows.to_action(r)
            for r in rows.all_rows(s.conn, "actions", "start_frame, end_frame, id")
        ]


def action_record(s: Session, action_id: int) -> ActionRecord:
    row = rows.get(s.conn, "actions", {"id": int(action_id)})
    if row is None:
        raise InputError(f"there is no action {action_id} in the store {s.path}")
    return rows.to_action(row)


def action_by_external_id(s: Session, external_id: str) -> ActionRecord | None:
    row = s.conn.execute("SELECT id FROM actions WHERE external_id = ?", (external_id,)).fetchone()
    return None if row is None else action_record(s, row[0])


def _action_values(s: Session, fields: dict) -> dict:
    unknown = set(fields) - set(_ACTION_FIELDS)
    if unknown:
        raise InputError(f"unknown action fields {sorted(unknown)}")
    values = dict(fields)
    for name in ("all_nouns", "all_noun_classes"):
        if name in values:
            values[name] = json.dumps(list(values[name] or []))
    if "narration" in values and not str(values["narration"] or "").strip():
        raise InputError("an action needs a non-empty narration")
    for name in ("start_frame", "end_frame"):
        if name in values:
            values[name] = s.check_frame(values[name])
    return values


def add_action(
    s: Session, narration: str, start_frame: int, end_frame: int, **fields: object
) -> int:
    """Add a narrated action (frames are store indices, end inclusive); returns its id."""
    values = _action_values(
        s, {"narration": narration, "start_frame": start_frame, "end_frame": end_frame, **fields}
    )
    if values["end_frame"] < values["start_frame"]:
        raise InputError(
            f"action {narration!r} ends (frame {end_frame}) before it starts ({start_frame})"
        )
    with s.edit():
        ext = values.get("external_id")
        if ext is not None and action_by_external_id(s, str(ext)) is not None:
            raise InputError(f"an action with id {ext!r} already exists in {s.path}")
        new_id = int(s.conn.execute("SELECT COALESCE(MAX(id), 0) FROM actions").fetchone()[0]) + 1
        edits.change_row(s, "actions", {"id": new_id}, values, record=False, label="")
    return new_id


def update_action(s: Session, action_id: int, *, record: bool = True, **fields: object) -> bool:
    """Correct an action's narration, frames or prompt (undoable)."""
    current = action_record(s, action_id)
    values = _action_values(s, fields)
    start = values.get("start_frame", current.start_frame)
    if values.get("end_frame", current.end_frame) < start:
        raise InputError(f"action {current.id} would end before it starts")
    with s.edit():
        return edits.change_row(
            s,
            "actions",
            {"id": current.id},
            values,
            record=record,
            label=f"edit action {current.narration!r}",
            action_id=current.id,
        )


# ------------------------------------------------------------------ activity


def activity(s: Session, action_id: int) -> dict[int, ActivityRecord]:
    """Activity flags of one action by object id."""
    with s.db():
        got = s.conn.execute(
            "SELECT action_id, object_id, active, probability, source, reasons, model_id "
            "FROM activity WHERE action_id = ? ORDER BY object_id",
            (int(action_id),),
        )
        cols = rows.COLUMNS["activity"]
        return {r[1]: rows.to_activity(dict(zip(cols, r, strict=True))) for r in got.fetchall()}


def set_activity(
    s: Session,
    action_id: int,
    object_id: int,
    active: bool | None,
    *,
    source: Source = Source.HUMAN,
    probability: float | None = None,
    reasons: dict | None = None,
    model_id: int | None = None,
    record: bool | None = None,
) -> bool:
    """Set whether an object takes part in an action.

    A model or rule never overrides a human's flag: it only refreshes its probability or
    reasons beside it. Human flags go into the undo history (``record`` overrides that).
    """
    source = Source(source)
    action = action_record(s, action_id)
    obj = object_record(s, object_id)
    key = {"action_id": action.id, "object_id": obj.id}
    current = rows.get(s.conn, "activity", key)
    values: dict = {}
    if current is None or current["source"] != Source.HUMAN.value or source is Source.HUMAN:
        values["active"] = None if active is None else int(bool(active))
        values["source"] = source.value
    if probability is not None:
        values["probability"] = float(probability)
    if reasons is not None:
        values["reasons"] = json.dumps(reasons, sort_keys=True)
    if model_id is not None:
        values["model_id"] = int(model_id)
    if current is None:
        values.setdefault("source", source.value)
    record = (source is Source.HUMAN) if record is None else record
    with s.edit():
        return edits.change_row(
            s,
            "activity",
            key,
            values,
            record=record,
            label=f"{obj.name!r} {'active' if active else 'inactive'} in {action.narration!r}",
            action_id=action.id,
        )


# ------------------------------------------------------------------ hands, models


def hand_boxes(s: Session, frame: int) -> list[HandBox]:
    with s.db():
        return rows.hand_boxes(s.conn, s.check_frame(frame))


def hand_box_frames(s: Session) -> list[int]:
    with s.db():
        got = s.conn.execute("SELECT DISTINCT frame FROM hand_boxes ORDER BY frame")
        return [r[0] for r in got]


def set_hand_boxes(s: Session, frame: int, boxes: Iterable[HandBox]) -> None:
    """Replace the VISOR-HOS hand and in-contact object boxes of one frame."""
    frame = s.check_frame(frame)
    boxes = list(boxes)
    for b in boxes:
        if b.category not in (1, 2) or b.w < 0 or b.h < 0:
            raise InputError(f"hand box {b} of frame {frame}: category must be 1 or 2, w/h >= 0")
    with s.edit():
        rows.put_hand_boxes(s, frame, boxes)


def record_model(
    s: Session,
    name: str,
    role: ModelRole = ModelRole.USED,
    *,
    checksum: str | None = None,
    details: dict | None = None,
) -> int:
    """Note a model version used for labels here (or trained from them); returns its id."""
    with s.edit():
        cur = s.execute(
            "INSERT INTO models (name, role, checksum, time, details) VALUES (?,?,?,?,?)",
            (name, ModelRole(role).value, checksum, _now(), json.dumps(details or {})),
        )
        return int(cur.lastrowid)


def models(s: Session) -> list[ModelRecord]:
    with s.db():
        return rows.models(s.conn)
