"""Opening the store's SQLite database safely.

WAL mode lets readers open the store while the writer works; the writer keeps one write
transaction open between saves, so a crash rolls back to the last save and nothing else.
Every check that can refuse a store runs before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from actionvos.errors import StoreError
from actionvos.store.schema import (
    CREATED_FORMAT_VERSION,
    FORMAT_VERSION,
    REQUIRED_TABLES,
    SCHEMA,
)

_SQLITE_MAGIC = b"SQLite format 3\x00"


def corrupt(path: Path, detail: object) -> StoreError:
    """The one message for a database that cannot be trusted."""
    return StoreError(
        f"the label database {path} is damaged ({detail}). Nothing was changed; restore the "
        "store directory from a backup, or move it aside and import the labels again"
    )


@contextlib.contextmanager
def guarded(path: Path) -> Iterator[None]:
    """Turn SQLite's low-level failures into a StoreError that names the file."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreError(
                f"the label database {path} is busy in another process ({text}); close the "
                "other program or wait, then try again"
            ) from None
        if isinstance(exc, sqlite3.IntegrityError):
            raise
        if "full" in text:
            raise StoreError(
                f"the disk holding {path} is full ({text}); free some space and save again"
            ) from None
        if "readonly" in text or "read-only" in text:
            raise StoreError(
                f"{path} cannot be written ({text}); check its permissions, or open read-only"
            ) from None
        if any(w in text for w in ("malformed", "not a database", "corrupt", "disk image")):
            raise corrupt(path, text) from None
        raise StoreError(f"the label database {path} failed: {text}") from None


def create(path: Path, meta: dict[str, str]) -> None:
    """Create a fresh database with the schema and the given meta rows.

    Runs inside a directory that is renamed into place afterwards, so a crash here leaves no
    half-made store under the real name.
    """
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        conn.execute("BEGIN")
        rows = {**meta, "format_version": str(CREATED_FORMAT_VERSION)}
        conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", sorted(rows.items()))
        conn.execute("COMMIT")
    finally:
        conn.close()


def _check_header(path: Path) -> None:
    if not path.is_file():
        raise StoreError(
            f"{path.parent} is not a label store: {path.name} is missing. Create a store with "
            "`actionvos store create`, or pick the <clip>.actionvos directory"
        )
    with open(path, "rb") as f:
        head = f.read(len(_SQLITE_MAGIC))
    if head != _SQLITE_MAGIC:
        raise corrupt(path, "not an SQLite file")


def _on_read_only_disk(path: Path) -> bool:
    return os.name == "posix" and bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def _wal_index_exists(path: Path) -> bool:
    """Whether SQLite has (or needs) the WAL files: then it must not read as immutable."""
    wal = path.with_name(path.name + "-wal")
    has_log = wal.exists() and wal.stat().st_size > 0
    return has_log or path.with_name(path.name + "-shm").exists()


def connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """Open the database, refusing damaged or newer-format files before any write."""
    _check_header(path)
    uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rw'}"
    if read_only and _on_read_only_disk(path) and not _wal_index_exists(path):
        # A reader of a WAL database needs to create its -shm index; on read-only media
        # nobody can write the file either, so it may be read as immutable instead.
        uri += "&immutable=1"
    elif read_only and not os.access(path.parent, os.W_OK) and not _wal_index_exists(path):
        raise StoreError(
            f"cannot read {path}: a reader must create {path.name}-shm beside it, but the "
            f"folder {path.parent} is not writable for you. Copy the store to a folder you "
            "can write to, or ask its owner to open it once"
        )
    with guarded(path):
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        with guarded(path):
            conn.execute("PRAGMA busy_timeout=5000")
            check_format(conn, path)
            if not read_only:
                problems = integrity_problems(conn, path, limit=3)
                if problems:
                    raise corrupt(path, "; ".join(problems))
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(
                        f"cannot switch {path} to write-ahead logging (got {mode}); is the "
                        "store on a network file system? Copy it to a local disk"
                    )
            # Dirty pages stay in memory until the commit, so a full disk fails only the
            # commit, and the session can rebuild a transaction SQLite dropped (session.py).
            conn.execute("PRAGMA cache_spill=OFF")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        raise
    return conn


def check_format(conn: sqlite3.Connection, path: Path) -> dict[str, str]:
    """Read the meta table; refuse newer formats and missing tables."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = REQUIRED_TABLES - tables
    if "meta" not in tables:
        raise corrupt(path, "it has no meta table")
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    try:
        version = int(meta["format_version"])
    except (KeyError, ValueError):
        raise corrupt(path, "its format version is missing") from None
    if version > FORMAT_VERSION:
        raise StoreError(
            f"the store {path.parent} has format version {version}, newer than this actionvos "
            f"understands ({FORMAT_VERSION}). It was not opened or changed; upgrade actionvos "
            "(pip install -U actionvos-napari) to read it"
        )
    if missing:
        raise corrupt(path, f"tables {sorted(missing)} are missing")
    return meta


def integrity_problems(conn: sqlite3.Connection, path: Path, limit: int = 5) -> list[str]:
    """SQLite's quick check; an empty list means the pages and indexes are consistent."""
    with guarded(path):
        rows = conn.execute(f"PRAGMA quick_check({int(limit)})").fetchall()
    problems = [r[0] for r in rows]
    return [] if problems == ["ok"] else problems
