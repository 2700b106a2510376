"""The open state of one store: its connection, staged chunks and the edit in progress.

The other store modules are plain functions over a ``Session``. A writer keeps one SQLite
write transaction open between saves and stages changed mask chunks beside the array (see
``masks.py``); ``save`` commits both in one step, so a process killed at any instant reopens
at its last save.

Every write statement since the last save is also kept in a log. When SQLite drops the whole
transaction by itself (it may, on a full disk or an I/O error), the log is replayed into a
new transaction, so the session keeps its unsaved edits and the next save can still write
them. The database never spills dirty pages before a commit (``cache_spill`` is off), so
the replay needs memory, not disk.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actionvos.errors import InputError, StoreError
from actionvos.store import database
from actionvos.store.lock import WriterLock
from actionvos.store.masks import ChunkError, MaskArray
from actionvos.store.schema import DATABASE_FILE


@dataclass
class Group:
    """The correction (one undo step) that the edits in progress join.

    ``record_all`` marks an import step: every frame it writes goes into the history, even
    writes made with ``record=False``, so the whole import can be undone.
    """

    label: str
    action_id: int | None
    record_all: bool = False
    id: int | None = None


@dataclass(frozen=True)
class _Write:
    sql: str
    params: Any
    many: bool


class Session:
    """Connection, writer lock, staged chunks and savepoint of one open store."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        masks: MaskArray,
        lock: WriterLock | None,
        meta: dict[str, str],
    ) -> None:
        self.path = path
        self.conn = conn
        self.masks = masks
        self.lock = lock
        self.meta = meta
        self.staged: dict[int, str] = {}  # frame -> staged chunk file not yet published
        self.superseded: list[str] = []  # staged files an edit replaced (dropped on success)
        self.group: Group | None = None
        self.dirty = False
        self.depth = 0
        self.closed = False
        self._log: list[_Write] = []

    # ------------------------------------------------------------------ facts

    @property
    def read_only(self) -> bool:
        return self.lock is None

    @property
    def shape(self) -> tuple[int, int, int]:
        return (int(self.meta["n_frames"]), int(self.meta["height"]), int(self.meta["width"]))

    def frame_name(self, frame: int) -> str:
        """The dataset name of a frame, e.g. ``frame_0000002521`` (no extension)."""
        return f"frame_{frame + int(self.meta.get('frame_number_base', '1')):010d}"

    def check_frame(self, frame: int) -> int:
        frame = int(frame)
        n_frames = self.shape[0]
        if not 0 <= frame < n_frames:
            raise InputError(
                f"frame {frame} is outside the clip (0..{n_frames - 1}) of {self.path}"
            )
        return frame

    def check_writable(self) -> None:
        if self.closed:
            raise StoreError(f"the store {self.path} is closed; open it again")
        if self.read_only:
            raise StoreError(
                f"the store {self.path} is open read-only; open it for writing to change it"
            )

    # ------------------------------------------------------------------ statements

    @contextlib.contextmanager
    def db(self) -> Iterator[None]:
        """SQLite failures become a StoreError naming the database file."""
        with database.guarded(self.path / DATABASE_FILE):
            yield

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """A read statement's rows (read inside the guard, which names a damaged file)."""
        with self.db():
            return self.conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """A write statement of the edit in progress, kept in the log for a replay."""
        return self._write(_Write(sql, tuple(params), many=False))

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self._write(_Write(sql, [tuple(p) for p in params], many=True))

    def _write(self, write: _Write) -> sqlite3.Cursor:
        if not self.conn.in_transaction:
            # Writes run inside the open transaction only: outside it they would autocommit.
            raise RuntimeError(f"store write outside the session's transaction: {write.sql[:60]}")
        run = self.conn.executemany if write.many else self.conn.execute
        with self.db():
            cursor = run(write.sql, write.params)
        self._log.append(write)
        return cursor

    # ------------------------------------------------------------------ transactions

    def begin(self) -> None:
        """Start the write transaction that collects the edits until the next save."""
        with self.db():
            self.conn.execute("BEGIN IMMEDIATE")
        self._log = []

    def _replay(self) -> None:
        """Re-run the logged writes after SQLite rolled the whole transaction back."""
        with self.db():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for w in self._log:
                    (self.conn.executemany if w.many else self.conn.execute)(w.sql, w.params)
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def _keep_edits(self) -> bool:
        """After a failure: whether the unsaved edits are still in the open transaction."""
        if self.conn.in_transaction:
            return True
        try:
            self._replay()
        except StoreError:
            return False
        return True

    def _forget_edits(self) -> None:
        """The transaction is gone and cannot be rebuilt: drop staged files, start afresh."""
        for name in self.staged.values():
            self.masks.discard(name)
        self.staged, self.dirty, self._log = {}, False, []
        self.begin()

    @contextlib.contextmanager
    def edit(self) -> Iterator[None]:
        """Run one edit atomically inside the open transaction (nested edits join it)."""
        self.check_writable()
        if self.depth:
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
            return
        if not self.conn.in_transaction and not self._keep_edits():
            # An earlier failure (a read error, a save whose next transaction could not
            # start) left no transaction; without one the savepoint would commit on release.
            self._forget_edits()
            raise StoreError(
                f"the store {self.path} lost its unsaved edits to an earlier failure; it is at "
                "its last save. Check the disk, then make the edits again"
            )
        staged_before, mark = dict(self.staged), len(self._log)
        with self.db():
            self.conn.execute("SAVEPOINT edit")
        self.depth = 1
        try:
            yield
        except BaseException as exc:
            self.depth = 0
            self._roll_back_edit(staged_before, mark, exc)
            raise
        else:
            self.depth = 0
            with self.db():
                self.conn.execute("RELEASE edit")
            for name in self.superseded:
                self.masks.discard(name)
            self.superseded = []
            self.dirty = self.dirty or len(self._log) > mark
        finally:
            self.depth = 0

    def _roll_back_edit(self, staged_before: dict[int, str], mark: int, exc: BaseException) -> None:
        for frame, name in self.staged.items():
            if staged_before.get(frame) != name:
                self.masks.discard(name)
        self.staged, self.superseded = staged_before, []
        del self._log[mark:]
        if self.conn.in_transaction:
            with self.db():
                self.conn.execute("ROLLBACK TO edit")
                self.conn.execute("RELEASE edit")
            return
        if not self._keep_edits():  # SQLite dropped the transaction and it cannot be rebuilt
            self._forget_edits()
            raise StoreError(
                f"{exc} The store {self.path} is at its last save: the other edits made since "
                "could not be kept either"
            ) from exc

    def commit(self) -> None:
        """Make the staged chunks and the transaction durable; raises StoreError or OSError.

        On failure the edits stay in the session when they can (see the module docstring).
        """
        with self.db():
            self.masks.sync_staging()
            self.conn.execute("COMMIT")
        staged, self.staged = self.staged, {}
        self.dirty = False
        self._publish(staged)

    def _publish(self, staged: dict[int, str]) -> None:
        """Rename committed chunks into place and forget those renamed at the next save.

        A rename that fails (a full or failing disk) leaves its ``pending_chunks`` row, so
        readers keep reading the staged file and the next writer renames it.
        """
        done = []
        for frame, name in staged.items():
            try:
                self.masks.publish(frame, name)
            except OSError:
                continue
            done.append((frame, name))
        self.begin()
        if done:
            self.executemany("DELETE FROM pending_chunks WHERE frame = ? AND file = ?", done)

    def save_failed(self, cause: BaseException) -> StoreError:
        """The message for a failed save, after keeping the edits if SQLite dropped them."""
        if self._keep_edits():
            return StoreError(
                f"could not save {self.path}: {cause}. Nothing was written: the store on disk "
                "is at its last save, and the edits made since are kept in this open store "
                "(they are lost if it is closed before a save succeeds)"
            )
        self._forget_edits()
        return StoreError(
            f"could not save {self.path}: {cause}. The store is at its last save; the edits "
            "made since could not be kept"
        )

    def roll_back(self) -> None:
        """Drop every edit since the last save (the transaction and the staged files)."""
        with self.db():
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        for name in self.staged.values():
            self.masks.discard(name)
        self.staged, self.dirty, self._log = {}, False, []

    def recover(self) -> None:
        """Finish renames a crash interrupted after a commit; drop uncommitted staged files."""
        with self.db():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                pending = self.conn.execute("SELECT frame, file FROM pending_chunks").fetchall()
                for frame, name in pending:
                    self.masks.publish(frame, name)
                keep = {name for _, name in pending}
                for name in self.masks.staged_files():
                    if name not in keep:
                        self.masks.discard(name)
                if pending:  # an open that has nothing to finish writes nothing
                    self.conn.execute("DELETE FROM pending_chunks")
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    def release(self) -> None:
        """Close the connection and free the writer lock (unsaved edits are dropped)."""
        self.closed = True
        try:
            self.conn.close()
        finally:
            if self.lock is not None:
                self.lock.release()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that must see the same save (a no-op for the writer)."""
        if not self.read_only or self.conn.in_transaction:
            yield
            return
        with self.db():
            self.conn.execute("BEGIN")
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("COMMIT")

    # ------------------------------------------------------------------ frames

    def read_frame(self, frame: int) -> np.ndarray:
        """The frame's uint16 label map; refuses a chunk the database says holds objects
        but that is gone (it would read as a blank frame)."""
        frame = self.check_frame(frame)
        with self.db():
            staged, n_objects = self.conn.execute(
                "SELECT (SELECT file FROM pending_chunks WHERE frame = ?), "
                "(SELECT COUNT(*) FROM frame_objects WHERE frame = ?)",
                (frame, frame),
            ).fetchone()
        # One statement reads both, so a concurrent save cannot fall between them; a chunk
        # file, once written, is only ever replaced, never removed.
        if staged is None and n_objects and not self.masks.chunk_path(frame).is_file():
            raise ChunkError(
                f"the masks of frame {frame} ({self.frame_name(frame)}) are missing: "
                f"{self.masks.chunk_path(frame)} was deleted, but the database records "
                f"{n_objects} objects there. Nothing was changed; run `actionvos store check "
                f"{self.path}` to list every damaged frame, then restore the store from a "
                "backup (or clear the frame with Store.unlabel_frame and label it again)"
            )
        return self.masks.read(frame, staged)

    def stage_frame(self, frame: int, labels: np.ndarray, present: dict[int, int]) -> None:
        """Write a frame's new chunk to staging and its object pixel counts to the database."""
        name = self.masks.stage(frame, labels)
        old = self.staged.get(frame)
        if old is not None:
            self.superseded.append(old)
        self.staged[frame] = name
        self.execute(
            "INSERT INTO pending_chunks (frame, file) VALUES (?, ?) "
            "ON CONFLICT (frame) DO UPDATE SET file = excluded.file",
            (frame, name),
        )
        self.execute("DELETE FROM frame_objects WHERE frame = ?", (frame,))
        self.executemany(
            "INSERT INTO frame_objects (frame, object_id, pixels) VALUES (?, ?, ?)",
            [(frame, oid, n) for oid, n in sorted(present.items())],
        )
