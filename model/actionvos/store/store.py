"""The label store of one clip: open, read, edit, save atomically, undo.

A writer keeps one SQLite write transaction open between saves and stages changed mask chunks
beside the array (see ``masks.py``); ``save`` commits both in one step. A process killed at
any instant therefore reopens at its last save. Readers may open the same store at any time
and see the last save.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from actionvos import __version__
from actionvos.errors import InputError, StoreError
from actionvos.store import database
from actionvos.store.catalog import CatalogMixin
from actionvos.store.edits import EditsMixin
from actionvos.store.layers import save_layers
from actionvos.store.lock import WriterLock
from actionvos.store.masks import MaskArray
from actionvos.store.schema import (
    DATABASE_FILE,
    FORMAT_VERSION,
    LOCK_FILE,
)
from actionvos.store.stamps import now
from actionvos.store.undo import HistoryMixin


class Store(EditsMixin, CatalogMixin, HistoryMixin):
    """One clip's labels. Use ``Store.create`` or ``Store.open``; close (or ``with``) after.

    Edits are visible to this object at once and reach disk on ``save`` (or ``autosave``),
    all together or not at all. Leaving a ``with`` block saves, unless it raised.
    """

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        masks: MaskArray,
        lock: WriterLock | None,
        meta: dict[str, str],
    ) -> None:
        self.path = path
        self._conn = conn
        self._masks = masks
        self._lock = lock
        self.meta = meta
        self._staged: dict[int, str] = {}
        self._dirty = False
        self._depth = 0
        self._superseded: list[str] = []
        self._group: dict | None = None
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        n_frames: int,
        height: int,
        width: int,
        clip: str | Path | None = None,
        video: str | None = None,
        frame_number_base: int = 1,
    ) -> Store:
        """Make a new, empty store at ``path`` (which must not exist) and open it for writing.

        ``video`` names the clip in exported datasets (e.g. ``P01_107``); frame names are
        ``frame_%010d`` of ``index + frame_number_base`` (EPIC-KITCHENS counts from 1).
        """
        path = Path(path)
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
        tmp.mkdir()
        try:
            database.create(tmp / DATABASE_FILE, meta)
            MaskArray.create(tmp, int(n_frames), int(height), int(width))
            (tmp / LOCK_FILE).touch()
            os.rename(tmp, path)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError) and path.exists():
                raise StoreError(f"{path} was created meanwhile by someone else; open it") from None
            raise
        return cls.open(path)

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Store:
        """Open an existing store; refuses newer formats and damaged files before any write."""
        path = Path(path)
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
            cls._check_shape(path, meta, masks)
            store = cls(path, conn, masks, lock, meta)
            if not read_only:
                store._recover()
                store._begin()
            return store
        except BaseException:
            if conn is not None:
                conn.close()
            if lock is not None:
                lock.release()
            raise

    @staticmethod
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

    def _recover(self) -> None:
        """Finish renames a crash interrupted after a commit; drop uncommitted staged files."""
        with self._db():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                pending = self._conn.execute("SELECT frame, file FROM pending_chunks").fetchall()
                for frame, name in pending:
                    self._masks.publish(frame, name)
                keep = {name for _, name in pending}
                for name in self._masks.staged_files():
                    if name not in keep:
                        self._masks.discard(name)
                self._conn.execute("DELETE FROM pending_chunks")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _begin(self) -> None:
        with self._db():
            self._conn.execute("BEGIN IMMEDIATE")

    @contextlib.contextmanager
    def _db(self) -> Iterator[None]:
        with database.guarded(self.path / DATABASE_FILE):
            yield

    @property
    def read_only(self) -> bool:
        return self._lock is None

    @property
    def dirty(self) -> bool:
        """True when there are edits not yet saved."""
        return self._dirty

    def save(self) -> bool:
        """Commit every edit since the last save, atomically. Returns False if none."""
        self._check_writable()
        if not self._dirty:
            return False
        if self._depth:
            raise StoreError("cannot save in the middle of an edit; save after it returns")
        try:
            with self._db():
                self._masks.sync_staging()
                self._conn.execute("COMMIT")
        except (StoreError, OSError) as exc:
            if self._conn.in_transaction:
                raise StoreError(
                    f"could not save {self.path}: {exc}. Your edits are kept; fix the problem "
                    "and save again"
                ) from None
            for name in self._staged.values():  # SQLite rolled the transaction back
                self._masks.discard(name)
            self._staged, self._dirty = {}, False
            self._begin()
            raise StoreError(
                f"could not save {self.path}: {exc}. The store is at its last save; the edits "
                "made since could not be kept"
            ) from None
        staged, self._staged = self._staged, {}
        self._dirty = False
        for frame, name in staged.items():
            self._masks.publish(frame, name)
        with self._db():
            self._conn.execute("BEGIN IMMEDIATE")
            if staged:
                self._conn.execute("DELETE FROM pending_chunks")
        return True

    def autosave(self) -> bool:
        """Save only if something changed: the cost is the changed chunks and rows."""
        return self.save() if (self._dirty and not self.read_only) else False

    def discard(self) -> None:
        """Drop every edit since the last save."""
        self._check_writable()
        with self._db():
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        for name in self._staged.values():
            self._masks.discard(name)
        self._staged = {}
        self._dirty = False
        self._begin()

    def close(self, *, save: bool = True) -> None:
        """Save (unless ``save=False``, which discards unsaved edits) and release the store."""
        if self._closed:
            return
        try:
            if not self.read_only:
                if save:
                    self.save()
                    with self._db():
                        if self._conn.in_transaction:
                            self._conn.execute("COMMIT")
                else:
                    with self._db():
                        if self._conn.in_transaction:
                            self._conn.execute("ROLLBACK")
                    for name in self._staged.values():
                        self._masks.discard(name)
        finally:
            self._closed = True
            self._conn.close()
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.close(save=exc_type is None)

    def _check_writable(self) -> None:
        if self._closed:
            raise StoreError(f"the store {self.path} is closed; open it again")
        if self.read_only:
            raise StoreError(
                f"the store {self.path} is open read-only; open it for writing to change it"
            )

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that must see the same save (a no-op for the writer)."""
        if not self.read_only or self._conn.in_transaction:
            yield
            return
        with self._db():
            self._conn.execute("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("COMMIT")

    def check(self) -> list[str]:
        """Problems found by a full read of the database and every labelled frame's chunk."""
        problems = database.integrity_problems(self._conn, self.path / DATABASE_FILE)
        for frame in self.labelled_frames():
            try:
                self.read_frame(frame)
            except StoreError as exc:
                problems.append(str(exc))
        return problems

    # ------------------------------------------------------------------ clip facts

    @property
    def n_frames(self) -> int:
        return int(self.meta["n_frames"])

    @property
    def height(self) -> int:
        return int(self.meta["height"])

    @property
    def width(self) -> int:
        return int(self.meta["width"])

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.n_frames, self.height, self.width)

    @property
    def video(self) -> str:
        return self.meta.get("video") or self.path.stem

    @property
    def frame_number_base(self) -> int:
        return int(self.meta.get("frame_number_base", "1"))

    @property
    def format_version(self) -> int:
        return int(self.meta.get("format_version", FORMAT_VERSION))

    def frame_name(self, frame: int) -> str:
        """The dataset name of a frame, e.g. ``frame_0000002521`` (no extension)."""
        return f"frame_{frame + self.frame_number_base:010d}"

    def frame_of_number(self, number: int) -> int:
        """Store index of a dataset frame number (EPIC ``start_frame``, ``frame_%010d``)."""
        return int(number) - self.frame_number_base

    def _check_frame(self, frame: int) -> int:
        frame = int(frame)
        if not 0 <= frame < self.n_frames:
            raise InputError(
                f"frame {frame} is outside the clip (0..{self.n_frames - 1}) of {self.path}"
            )
        return frame

    # ------------------------------------------------------------------ reading masks

    def read_frame(self, frame: int) -> np.ndarray:
        """The frame's uint16 label map (object ids; zeros where unlabelled)."""
        frame = self._check_frame(frame)
        with self._db():
            row = self._conn.execute(
                "SELECT file FROM pending_chunks WHERE frame = ?", (frame,)
            ).fetchone()
        return self._masks.read(frame, row[0] if row else None)

    def read_frames(self, frames: list[int] | range) -> np.ndarray:
        """Several frames stacked as ``(len(frames), height, width)``."""
        out = np.zeros((len(frames), self.height, self.width), dtype=np.uint16)
        with self.snapshot():
            for i, frame in enumerate(frames):
                out[i] = self.read_frame(frame)
        return out

    def save_layers(
        self,
        labels: np.ndarray | Mapping[int, np.ndarray],
        names: Mapping[int, str],
        **options: Any,
    ) -> list[int]:
        """Write napari-style label layers as one correction; see ``layers.save_layers``."""
        return save_layers(self, labels, names, **options)

    @property
    def masks(self) -> LazyMasks:
        """A read-only array-like over all frames that reads chunks on demand (for napari)."""
        return LazyMasks(self)


class LazyMasks:
    """``frames x height x width`` view of a store that decodes only the frames indexed."""

    dtype = np.dtype(np.uint16)
    ndim = 3

    def __init__(self, store: Store) -> None:
        self._store = store
        self.shape = store.shape

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: object) -> np.ndarray:
        if not isinstance(key, tuple):
            key = (key,)
        first, rest = key[0], key[1:]
        if isinstance(first, (int, np.integer)):
            return self._store.read_frame(int(first) % self.shape[0])[rest]
        frames = range(self.shape[0])[first] if isinstance(first, slice) else list(first)
        return self._store.read_frames(frames)[(slice(None), *rest)]

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        data = self[:]
        return data.astype(dtype) if dtype is not None else data
