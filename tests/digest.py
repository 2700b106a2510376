"""A content digest of a folder, to prove that a refused operation changed nothing on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path


def store_digest(path: str | Path) -> str:
    """sha256 over every file under ``path`` (relative name and bytes, sorted by name).

    SQLite's shared-memory index (``-shm``) and an empty write-ahead log hold no data and a
    reader may create them, so they are left out; every other byte counts.
    """
    root = Path(path)
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name.endswith("-shm"):
            continue
        if p.name.endswith("-wal") and p.stat().st_size == 0:
            continue
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()
