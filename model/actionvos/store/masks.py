"""Instance masks as a zarr array whose chunk updates commit together with the database.

The array is ``frames x height x width`` uint16, one zstd-compressed chunk per frame, laid out
as plain zarr v3 so any zarr reader can open ``masks.zarr``. zarr itself writes each chunk
file atomically but cannot tie several chunks to a database commit, so writes go through a
small journal instead:

1. the new chunk bytes (encoded by zarr) are written to ``staging/`` and fsynced;
2. the database commit records which staged file holds each frame (``pending_chunks``);
3. only then is each staged file renamed over its chunk (``os.replace``, atomic).

A crash before 2 leaves stray staged files that the next writer deletes; a crash after 2
leaves committed-but-unrenamed files that the next writer renames (roll forward), and that
readers already read in place of the old chunk.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.buffer import default_buffer_prototype
from zarr.codecs import ZstdCodec
from zarr.storage import LocalStore, WrapperStore

from actionvos.errors import StoreError
from actionvos.store.schema import MASKS_DIR, STAGING_DIR

_CHUNK_KEY = re.compile(rf"^{re.escape(MASKS_DIR)}/c/(\d+)/0/0$")
_STAGED_NAME = re.compile(r"^f(\d+)-[0-9a-f]{32}\.chunk$")
_CONFIG = {"write_empty_chunks": True}


class ChunkError(StoreError):
    """A frame's mask chunk is damaged or missing; the rest of the store still reads."""


class _Routes:
    """Mutable routing shared by the router store and its copies (zarr clones stores)."""

    def __init__(self) -> None:
        self.read: dict[str, Path] = {}
        self.capture: dict[str, bytes] | None = None


class _ChunkRouter(WrapperStore[LocalStore]):
    """Reads staged chunk files in place of committed ones; captures chunk writes as bytes."""

    def __init__(self, store: LocalStore, routes: _Routes | None = None) -> None:
        super().__init__(store)
        self.routes = routes or _Routes()

    def _with_store(self, store: LocalStore) -> _ChunkRouter:
        # zarr clones wrapper stores through this hook (e.g. with_read_only); keep the routes.
        return type(self)(store, self.routes)

    async def get(self, key: str, prototype: Any = None, byte_range: Any = None) -> Any:
        staged = self.routes.read.get(key)
        if staged is not None and byte_range is None:
            try:
                data = staged.read_bytes()
            except FileNotFoundError:
                pass  # renamed into place meanwhile: the chunk itself is now as new or newer
            else:
                return (prototype or default_buffer_prototype()).buffer.from_bytes(data)
        return await self._store.get(key, prototype, byte_range)

    async def set(self, key: str, value: Any) -> None:
        if self.routes.capture is not None and _CHUNK_KEY.match(key):
            self.routes.capture[key] = value.to_bytes()
            return
        await self._store.set(key, value)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be fsynced on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MaskArray:
    """The masks of one store: read a frame, stage a frame, publish staged frames."""

    def __init__(self, root: Path, *, read_only: bool) -> None:
        self.root = root
        self.staging = root / STAGING_DIR
        self.read_only = read_only
        self._lock = threading.Lock()
        self._router = _ChunkRouter(LocalStore(root, read_only=read_only))
        try:
            self._array = zarr.open_array(
                store=self._router, path=MASKS_DIR, mode="r" if read_only else "r+"
            ).with_config(_CONFIG)
        except Exception as exc:  # zarr raises many types for missing or broken metadata
            raise StoreError(
                f"the mask array {root / MASKS_DIR} cannot be opened ({exc}). Nothing was "
                "changed; restore the store from a backup"
            ) from None
        shape, chunks = self._array.shape, self._array.chunks
        if (
            len(shape) != 3
            or self._array.dtype != np.uint16
            or tuple(chunks) != (1, shape[1], shape[2])
        ):
            raise StoreError(
                f"the mask array {root / MASKS_DIR} has shape {shape}, chunks {chunks} and dtype "
                f"{self._array.dtype}; a label store needs uint16 frames x height x width with one "
                "chunk per frame. Was it written by another program?"
            )

    @staticmethod
    def create(root: Path, n_frames: int, height: int, width: int) -> None:
        """Write the array metadata; no chunk exists until a frame is labelled."""
        zarr.create_array(
            store=LocalStore(root),
            name=MASKS_DIR,
            shape=(n_frames, height, width),
            chunks=(1, height, width),
            dtype="uint16",
            compressors=[ZstdCodec(level=3, checksum=True)],
            fill_value=0,
            dimension_names=("frame", "y", "x"),
            config=_CONFIG,
        )
        (root / STAGING_DIR).mkdir()

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self._array.shape)  # type: ignore[return-value]

    def chunk_path(self, frame: int) -> Path:
        return self.root / MASKS_DIR / "c" / str(frame) / "0" / "0"

    def chunk_frames(self) -> list[int]:
        """Frames that have a chunk file on disk."""
        base = self.root / MASKS_DIR / "c"
        if not base.is_dir():
            return []
        found = (p.name for p in base.iterdir() if p.name.isdigit())
        return sorted(int(n) for n in found if (base / n / "0" / "0").is_file())

    def read(self, frame: int, staged: str | None = None) -> np.ndarray:
        """The frame's label map; ``staged`` is the committed-but-unrenamed file, if any."""
        key = f"{MASKS_DIR}/c/{frame}/0/0"
        with self._lock:
            if staged is not None:
                self._router.routes.read[key] = self.staging / staged
            try:
                return np.asarray(self._array[frame])
            except Exception as exc:
                where = self.staging / staged if staged else self.chunk_path(frame)
                raise ChunkError(
                    f"the masks of frame {frame} cannot be read: {where} is damaged ({exc}). "
                    "Nothing was changed; restore that file from a backup, or clear the frame "
                    "(Store.unlabel_frame) and label it again"
                ) from None
            finally:
                self._router.routes.read.pop(key, None)

    def encode(self, frame: int, labels: np.ndarray) -> bytes:
        """The exact chunk bytes zarr would store for this frame."""
        key = f"{MASKS_DIR}/c/{frame}/0/0"
        with self._lock:
            self._router.routes.capture = {}
            try:
                self._array[frame] = labels
                return self._router.routes.capture[key]
            finally:
                self._router.routes.capture = None

    def stage(self, frame: int, labels: np.ndarray) -> str:
        """Write the frame's new chunk to a fresh staged file (fsynced); return its name."""
        data = self.encode(frame, labels)
        name = f"f{frame}-{uuid.uuid4().hex}.chunk"
        path = self.staging / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise StoreError(
                f"cannot write the masks of frame {frame} under {self.staging} ({exc}). That "
                "edit was not applied; earlier unsaved edits are kept. Free disk space and retry"
            ) from None
        return name

    def sync_staging(self) -> None:
        """Make staged files' directory entries durable before the commit that names them."""
        _fsync_dir(self.staging)

    def publish(self, frame: int, staged: str) -> None:
        """Rename a committed staged file over the frame's chunk; a no-op if already done."""
        src = self.staging / staged
        dst = self.chunk_path(frame)
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(src, dst)
        except FileNotFoundError:
            return

    def discard(self, staged: str) -> None:
        (self.staging / staged).unlink(missing_ok=True)

    def staged_files(self) -> list[str]:
        """Names in the staging directory that look like staged chunks."""
        if not self.staging.is_dir():
            return []
        return [p.name for p in self.staging.iterdir() if _STAGED_NAME.match(p.name)]
