"""A full check of a store: the database pages, and every frame's chunk against the database.

Each write records a frame's per-object pixel counts beside its chunk (``frame_objects``), so
a chunk that was deleted, swapped for another frame's or otherwise changed behind the
store's back shows up as a difference here instead of as a silently blank frame in an export.
The check reports problems; it never raises for what it finds and never writes.
"""

from __future__ import annotations

from actionvos.errors import StoreError
from actionvos.store import database
from actionvos.store.frames import pixel_counts
from actionvos.store.schema import DATABASE_FILE, FrameState
from actionvos.store.session import Session


def problems(s: Session) -> list[str]:
    """Every problem found, one line each, naming the frame or file; empty if none."""
    try:
        found = database.integrity_problems(s.conn, s.path / DATABASE_FILE)
    except StoreError as exc:
        return [str(exc)]
    try:
        frames = set(r[0] for r in s.query("SELECT frame FROM frames"))
        frames |= {r[0] for r in s.query("SELECT DISTINCT frame FROM frame_objects")}
        frames |= set(s.masks.chunk_frames())
    except (StoreError, OSError) as exc:
        found.append(f"the list of labelled frames of {s.path} cannot be read: {exc}")
        return found
    for frame in sorted(frames):
        problem = _frame_problem(s, frame)
        if problem is not None and not s.read_only:
            found.append(problem)
        elif problem is not None:
            # A reader may have raced a save (new chunk, old rows): look once more.
            again = _frame_problem(s, frame)
            if again is not None:
                found.append(again)
    return found


def _describe(counts: dict[int, int]) -> str:
    if not counts:
        return "no objects"
    return ", ".join(f"object {oid}: {n} px" for oid, n in sorted(counts.items()))


def _frame_problem(s: Session, frame: int) -> str | None:
    where = f"frame {frame} ({s.frame_name(frame)}"
    try:
        with s.snapshot():
            row = s.query("SELECT state FROM frames WHERE frame = ?", (frame,))
            recorded = dict(
                s.query("SELECT object_id, pixels FROM frame_objects WHERE frame = ?", (frame,))
            )
            state = row[0][0] if row else FrameState.UNLABELLED.value
            where = f"{where}, {state})"
            labels = s.read_frame(frame)
    except StoreError as exc:
        return f"{where if where.endswith(')') else where + ')'}: {exc}"
    actual = pixel_counts(labels)
    if actual == recorded:
        return None
    return (
        f"{where}: its chunk {s.masks.chunk_path(frame)} holds {_describe(actual)}, but the "
        f"database records {_describe(recorded)}. The chunk was changed outside actionvos; "
        "restore the store from a backup, or clear the frame (Store.unlabel_frame) and label "
        "it again"
    )
