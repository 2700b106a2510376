"""The clip interface every reader shares, and an in-memory clip.

A ``Clip`` looks like a read-only ``(T, H, W, 3)`` uint8 array so napari can show it as an
image layer and slice it with ``clip[t]`` or ``clip[t, y0:y1, x0:x1]``, but a frame is only
decoded when it is asked for. All indexing logic lives here; readers only say how to get one
frame (``_read_frame``), so every kind of clip slices the same way.
"""

from __future__ import annotations

import operator
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from actionvos.errors import Cancelled, ClipError

Progress = Callable[[int, int, str], None]


class NumberedFrameNames(Sequence[str]):
    """``frame_0000000001``, ``frame_0000000002``, ...: 1-based, 10 digits, like EPIC-KITCHENS.

    Made on demand, so an hour of 60 fps video does not hold 216,000 strings.
    """

    def __init__(self, n: int, prefix: str = "frame_", digits: int = 10, first: int = 1) -> None:
        self._n, self._prefix, self._digits, self._first = int(n), prefix, digits, first

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        i = operator.index(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"frame name {i} out of range for {self._n} frames")
        return f"{self._prefix}{i + self._first:0{self._digits}d}"

    def index(self, name: str, start: int = 0, stop: int | None = None) -> int:
        """Position of ``name``, found by parsing it rather than by a scan."""
        if isinstance(name, str) and name.startswith(self._prefix):
            try:
                i = int(name[len(self._prefix) :]) - self._first
            except ValueError:
                i = -1
            stop = self._n if stop is None else stop
            if start <= i < min(stop, self._n):
                return i
        raise ValueError(f"{name!r} is not a frame name of this clip")

    def __contains__(self, name: object) -> bool:
        try:
            self.index(name)  # type: ignore[arg-type]
        except ValueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NumberedFrameNames):
            return (self._n, self._prefix, self._digits, self._first) == (
                other._n,
                other._prefix,
                other._digits,
                other._first,
            )
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self._n and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._n == 0:
            return "NumberedFrameNames([])"
        return f"NumberedFrameNames([{self[0]!r} ... {self[-1]!r}], n={self._n})"


def _frame_selection(sel: Any, n: int) -> tuple[list[int], bool]:
    """Turn the first index of a key into frame numbers; True when it was a single frame."""
    if isinstance(sel, slice):
        return list(range(*sel.indices(n))), False
    if not isinstance(sel, (bool, np.bool_)):
        try:
            i = operator.index(sel)
        except TypeError:
            pass
        else:
            if not -n <= i < n:
                raise IndexError(f"frame {i} is out of range for a clip of {n} frames")
            return [i % n], True
    arr = np.asarray(sel)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise IndexError(f"a boolean frame mask must have shape ({n},), got {arr.shape}")
        return np.flatnonzero(arr).tolist(), False
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise IndexError(
            f"frames can be chosen by an int, a slice, a 1-D list of ints or a boolean mask; "
            f"got {sel!r}"
        )
    idx = arr.astype(np.int64)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"frame indices {sel!r} are out of range for a clip of {n} frames")
    return (idx % max(n, 1)).tolist(), False


def _split_key(key: Any, ndim: int = 4) -> tuple[Any, tuple]:
    """Split an index into the frame part and the per-frame (y, x, channel) part."""
    if not isinstance(key, tuple):
        key = (key,)
    if any(k is None for k in key):
        raise IndexError("np.newaxis is not supported on a clip; index the array it returns")
    n_ellipsis = sum(k is Ellipsis for k in key)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if n_ellipsis:
        at = next(j for j, k in enumerate(key) if k is Ellipsis)
        fill = ndim - (len(key) - 1)
        key = key[:at] + (slice(None),) * fill + key[at + 1 :]
    if len(key) > ndim:
        raise IndexError(f"too many indices for a clip: it is {ndim}-dimensional")
    if not key:
        key = (slice(None),)
    return key[0], tuple(key[1:])


class Clip(ABC):
    """A read-only, lazily decoded ``(T, H, W, 3)`` uint8 array of RGB frames.

    Subclasses set ``path``, ``fps``, ``height``, ``width`` and implement ``n_frames``,
    ``frame_names`` and ``_read_frame``. ``np.asarray(clip)`` works but decodes every frame
    (an hour of 1080p is ~670 GB); index the clip instead.
    """

    path: Path | None = None
    fps: float = 30.0
    height: int = 0
    width: int = 0
    dtype = np.dtype(np.uint8)
    ndim = 4

    @property
    @abstractmethod
    def n_frames(self) -> int:
        """Number of frames."""

    @property
    @abstractmethod
    def frame_names(self) -> Sequence[str]:
        """One name per frame (file stems for folders; ``frame_0000000001``... for videos)."""

    @abstractmethod
    def _read_frame(self, i: int) -> np.ndarray:
        """Frame ``i`` (0 <= i < n_frames) as HxWx3 uint8; may be a read-only cached array."""

    # --- array protocol -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (self.n_frames, self.height, self.width, 3)

    @property
    def size(self) -> int:
        return self.n_frames * self.height * self.width * 3

    @property
    def nbytes(self) -> int:
        return self.size

    def __len__(self) -> int:
        return self.n_frames

    def __getitem__(self, key: Any) -> np.ndarray:
        """``clip[t]`` -> HxWx3; ``clip[a:b]``, ``clip[[i, j]]`` -> stacked; extra indices crop."""
        sel, rest = _split_key(key)
        frames, single = _frame_selection(sel, self.n_frames)
        if single:
            frame = self._read_frame(frames[0])
            return np.array(frame[rest]) if rest else frame.copy()
        cropped = np.broadcast_to(np.zeros((), np.uint8), (self.height, self.width, 3))[rest]
        out = np.empty((len(frames), *cropped.shape), dtype=np.uint8)
        for j, frame in enumerate(self._read_many(frames)):
            out[j] = frame[rest] if rest else frame
        return out

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """Decode every frame. Costly for long videos: prefer indexing."""
        arr = self[:]
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __iter__(self) -> Iterator[np.ndarray]:
        for _, frame in self.iter_frames():
            yield frame

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as a new HxWx3 uint8 array (negative ``i`` counts from the end)."""
        return self[operator.index(i)]

    def iter_frames(
        self,
        indices: Sequence[int] | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(index, frame)`` in the given order (default: all), for long passes."""
        order = range(self.n_frames) if indices is None else indices
        total = len(order)
        for done, i in enumerate(order):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"reading {self.path or 'the clip'} was cancelled")
            yield int(i), self[int(i)]
            if progress is not None:
                progress(done + 1, total, "reading frames")

    def _read_many(self, indices: list[int]) -> Iterator[np.ndarray]:
        """Frames in the asked order, decoded in ascending order so videos decode forward."""
        if len(indices) < 2 or all(a < b for a, b in zip(indices, indices[1:], strict=False)):
            for i in indices:
                yield self._read_frame(i)
            return
        got = {i: self._read_frame(i) for i in sorted(set(indices))}
        for i in indices:
            yield got[i]

    # --- verification ------------------------------------------------------------------------
    def verify_frame_count(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> int:
        """The number of frames that can really be read, settled before work is sized by it.

        A clip whose count is known exactly (frames in memory, files in a folder) returns
        ``n_frames``; a video checks its header's claim against what decodes (see
        ``VideoClip``) and shrinks to the truth. Call it before sizing a store or starting a
        prediction, so neither discovers a truncated file half-way.
        """
        return self.n_frames

    # --- lifetime --------------------------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook; in-memory clips hold nothing
        """Release files and decoders. Reading afterwards raises ClipError."""

    def __enter__(self) -> Clip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = f" {str(self.path)!r}" if self.path is not None else ""
        return f"<{type(self).__name__}{where} shape={self.shape} fps={self.fps:g}>"


class ArrayClip(Clip):
    """A clip held in memory: synthetic samples, tests, and frames already decoded."""

    def __init__(
        self,
        frames: np.ndarray,
        fps: float = 30.0,
        frame_names: Sequence[str] | None = None,
        path: str | Path | None = None,
    ) -> None:
        arr = np.asarray(frames)
        if arr.ndim != 4 or arr.shape[-1] != 3:
            raise ClipError(f"an ArrayClip needs frames shaped (T, H, W, 3); got {arr.shape}")
        if arr.dtype != np.uint8:
            raise ClipError(
                f"an ArrayClip needs uint8 RGB frames, got {arr.dtype}; "
                "scale to 0..255 and use .astype(np.uint8)"
            )
        if not fps or fps <= 0:
            raise ClipError(f"fps must be positive, got {fps}")
        if frame_names is not None and len(frame_names) != arr.shape[0]:
            raise ClipError(f"{len(frame_names)} frame names given for {arr.shape[0]} frames")
        self._frames = arr
        self.fps = float(fps)
        self.height, self.width = int(arr.shape[1]), int(arr.shape[2])
        self.path = Path(path) if path is not None else None
        self._names = list(frame_names) if frame_names is not None else None

    @property
    def n_frames(self) -> int:
        return int(self._frames.shape[0])

    @property
    def frame_names(self) -> Sequence[str]:
        return self._names if self._names is not None else NumberedFrameNames(self.n_frames)

    def _read_frame(self, i: int) -> np.ndarray:
        return self._frames[i]
