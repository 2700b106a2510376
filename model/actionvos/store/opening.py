"""Making a new store directory and opening an existing one into a ``Session``.

Every check that can refuse a store (missing files, damage, a newer format, another writer,
a clip size that does not match the mask array) runs before anything is written.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from pathlib import Path

from actionvos import __version__
from actionvos.errors import InputError, StoreError
from actionvos.store import database
from actionvos.store.lock import WriterLock
from actionvos.store.masks import MaskArray
from actionvos.store.schema import DATABASE_FILE, LOCK_FILE
from actionvos.store.session import Session
from actionvos.store.stamps import now


def create(
    path: Path,
    *,
    n_frames: int,
    height: int,
    width: int,
    clip: str | Path | None,
    video: str | None,
    frame_number_base: int,
) -> None:
    """Make a complete store under a temporary name, then rename it into place.

    A crash or a full disk therefore never leaves a half-made store under the real name.
    """
    if path.exists():
        raise StoreError(
            f"{path} already exists; open it with Store.open, or choose another path "
            "(an existing store is never overwritten)"
        )
    if not path.parent.is_dir():
        raise StoreError(f"cannot create {path}: the folder {path.parent} does not exist")
    for name, value in (("n_frames", n_frames), ("height", height), ("width", width)):
        if int(value) < 1:
            raise InputError(f"a store needs a positive {name}, got {value}")
    meta = {
        "created": now(),
        "n_frames": str(int(n_frames)),
        "height": str(int(height)),
        "width": str(int(width)),
        "clip": str(clip) if clip is not None else "",
        "video": video or (Path(clip).stem if clip is not None else path.stem),
        "frame_number_base": str(int(frame_number_base)),
        "created_by": f"actionvos {__version__}",
    }
    tmp = path.with_name(f".{path.name}.creating-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir()
    except OSError as exc:
        raise StoreError(
            f"cannot create the store {path}: {exc.strerror or exc} in {path.parent}. Choose "
            "a folder you can write to (and with free space)"
        ) from None
    try:
        database.create(tmp / DATABASE_FILE, meta)
        MaskArray.create(tmp, int(n_frames), int(height), int(width))
        (tmp / LOCK_FILE).touch()
        os.rename(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and path.exists():
            raise StoreError(f"{path} was created meanwhile by someone else; open it") from None
        if isinstance(exc, (OSError, sqlite3.Error)):
            cause = getattr(exc, "strerror", None) or exc
            raise StoreError(
                f"cannot create the store {path}: {cause}. Nothing was left "
                "behind; free some space (or choose another folder) and try again"
            ) from None
        raise


def open_session(path: Path, *, read_only: bool) -> Session:
    """Open an existing store; refuses newer formats and damaged files before any write."""
    if not path.is_dir():
        raise StoreError(
            f"there is no label store at {path}; create one first (actionvos store create)"
        )
    db_path = path / DATABASE_FILE
    lock = None
    if not read_only:
        lock = WriterLock(path / LOCK_FILE)
        lock.acquire()
    conn = None
    try:
        conn = database.connect(db_path, read_only=read_only)
        with database.guarded(db_path):
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        masks = MaskArray(path, read_only=read_only)
        _check_shape(path, meta, masks)
        session = Session(path, conn, masks, lock, meta)
        if not read_only:
            session.recover()
            session.begin()
        return session
    except BaseException:
        if conn is not None:
            conn.close()
        if lock is not None:
            lock.release()
        raise


def _check_shape(path: Path, meta: dict[str, str], masks: MaskArray) -> None:
    try:
        expected = (int(meta["n_frames"]), int(meta["height"]), int(meta["width"]))
    except (KeyError, ValueError):
        raise database.corrupt(path / DATABASE_FILE, "the clip size is missing") from None
    if masks.shape != expected:
        raise StoreError(
            f"the store {path} is inconsistent: the database describes {expected} "
            f"(frames, height, width) but the mask array has {masks.shape}. Nothing was "
            "changed; restore the store from a backup"
        )
