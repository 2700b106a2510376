"""The keyframe index of a video: every frame's timestamp and where the keyframes are.

Built by demuxing packets only (no decoding), which reads the file once but costs little
CPU: ~0.05 s for 10 minutes of 1080p from the page cache. It makes random access exact for
variable-frame-rate files too, because frame ``i`` is the ``i``-th smallest presentation
timestamp rather than ``i / fps``. Kept in memory; written to a cache folder only when the
caller names one.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from actionvos.errors import Cancelled, ClipError

from .clip import Progress

log = logging.getLogger(__name__)

_FORMAT_VERSION = 1


@dataclass(frozen=True)
class KeyframeIndex:
    """Presentation timestamps of all frames (sorted; frame ``i`` is ``pts[i]``).

    ``keyframes`` holds the frame numbers of keyframes, ascending. ``complete`` is False when
    the scan stopped at a damaged packet, so frames after it are unknown.
    """

    pts: np.ndarray
    keyframes: np.ndarray
    complete: bool = True

    @property
    def n_frames(self) -> int:
        return int(self.pts.size)

    def frame_of_pts(self, pts: int) -> int:
        """Number of the last frame shown at or before ``pts`` (-1 before the first)."""
        return int(np.searchsorted(self.pts, pts, side="right")) - 1

    def keyframe_before(self, i: int) -> int:
        """The last keyframe at or before frame ``i`` (0 when none is known)."""
        at = int(np.searchsorted(self.keyframes, i, side="right")) - 1
        return int(self.keyframes[at]) if at >= 0 else 0

    def next_keyframe_after(self, i: int) -> int | None:
        """The first keyframe after frame ``i``, or None."""
        at = int(np.searchsorted(self.keyframes, i, side="right"))
        return int(self.keyframes[at]) if at < self.keyframes.size else None


def build_index(
    path: str | Path,
    stream_index: int = 0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> KeyframeIndex:
    """Scan the packets of video stream ``stream_index`` of ``path`` (no decoding).

    ``progress(bytes_read, file_size, message)`` is called every few thousand packets;
    setting ``cancel`` raises Cancelled. A damaged packet ends the scan with
    ``complete=False`` instead of failing, since the frames before it are still readable.
    """
    path = Path(path)
    total = path.stat().st_size
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise ClipError(f"cannot index video {path}: {exc}") from None
    pts_list: list[int] = []
    key_pts: list[int] = []
    complete = True
    try:
        stream = container.streams.video[stream_index]
        for n, packet in enumerate(_packets(container, stream)):
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is not None and packet.size:
                pts_list.append(ts)
                if packet.is_keyframe:
                    key_pts.append(ts)
            if n % 4096 == 0:
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"indexing {path.name} was cancelled")
                if progress is not None:
                    progress(min(packet.pos or 0, total), total, f"indexing {path.name}")
    except _Damaged as exc:
        log.warning("index of %s stops at packet %d: %s", path, len(pts_list), exc)
        complete = False
    finally:
        container.close()
    pts = np.unique(np.asarray(pts_list, dtype=np.int64))
    keyframes = np.searchsorted(pts, np.unique(np.asarray(key_pts, dtype=np.int64)))
    if keyframes.size == 0 or keyframes[0] != 0:
        keyframes = np.concatenate([[0], keyframes]).astype(np.int64)
    if progress is not None:
        progress(total, total, f"indexed {path.name}")
    return KeyframeIndex(pts=pts, keyframes=keyframes.astype(np.int64), complete=complete)


class _Damaged(Exception):
    pass


def _packets(container, stream):
    """Demux packets, turning a read error into _Damaged so the scan keeps what it has."""
    it = container.demux(stream)
    while True:
        try:
            packet = next(it)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            raise _Damaged(str(exc)) from None
        yield packet


def _cache_file(cache_dir: Path, path: Path) -> Path:
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{_FORMAT_VERSION}"
    return cache_dir / f"{path.stem}-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"


def load_cached_index(cache_dir: str | Path, path: str | Path) -> KeyframeIndex | None:
    """The index saved for this exact file (same size and modification time), or None."""
    file = _cache_file(Path(cache_dir), Path(path))
    if not file.is_file():
        return None
    try:
        with np.load(file) as data:
            return KeyframeIndex(
                pts=data["pts"], keyframes=data["keyframes"], complete=bool(data["complete"])
            )
    except Exception as exc:  # a stale or broken cache is only a lost speed-up
        log.warning("ignoring unreadable index cache %s: %s", file, exc)
        return None


def save_cached_index(cache_dir: str | Path, path: str | Path, index: KeyframeIndex) -> Path:
    """Write the index next to others in ``cache_dir`` (atomically: temp file, then rename)."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    file = _cache_file(cache_dir, Path(path))
    tmp = file.with_suffix(".tmp.npz")
    np.savez(tmp, pts=index.pts, keyframes=index.keyframes, complete=index.complete)
    tmp.replace(file)
    return file
