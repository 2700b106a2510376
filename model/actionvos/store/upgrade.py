"""Raising a store to the format that holds propagated frames, inside the edit that needs it.

A store made before format 2 has a ``frames`` table whose CHECK constraint lists the old
states only; SQLite cannot alter a constraint, so the table is rebuilt (same rows) under the
new definition. The rebuild and the new ``format_version`` go into the session's open
transaction like any other write, so they reach disk with the first saved propagated frame,
or not at all.
"""

from __future__ import annotations

from actionvos.store.schema import PROPAGATED_FORMAT_VERSION, FrameState, frames_table
from actionvos.store.session import Session


def format_version(s: Session) -> int:
    """The format the store is at now (the database, not the meta read at open)."""
    got = s.query("SELECT value FROM meta WHERE key = 'format_version'")
    return int(got[0][0])


def _frames_admit_propagated(s: Session) -> bool:
    sql = s.query("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'frames'")
    return f"'{FrameState.PROPAGATED.value}'" in sql[0][0]


def allow_propagated(s: Session) -> None:
    """Make the store able to hold propagated frames (a no-op when it already can)."""
    if not _frames_admit_propagated(s):
        s.execute(frames_table("frames_upgrade"))
        s.execute(
            "INSERT INTO frames_upgrade (frame, state, model_id, updated) "
            "SELECT frame, state, model_id, updated FROM frames"
        )
        s.execute("DROP TABLE frames")
        s.execute("ALTER TABLE frames_upgrade RENAME TO frames")
    if format_version(s) < PROPAGATED_FORMAT_VERSION:
        s.execute(
            "UPDATE meta SET value = ? WHERE key = 'format_version'",
            (str(PROPAGATED_FORMAT_VERSION),),
        )
    s.meta["format_version"] = str(format_version(s))
