"""Frame-accurate, lazily decoded video files through PyAV (FFmpeg).

Opening reads only the container header and decodes the first frame (which checks the file
is readable and is what a viewer shows first). Frame ``i`` is found by seeking to the
keyframe at or before it and decoding forward; reading the next frames continues the same
decoder without seeking, so playback is as fast as plain decoding. Decoded RGB frames go into
a byte-bounded LRU cache, so memory stays flat while scrubbing.

Timestamps: until the keyframe index is built, frame ``i`` is assumed to be shown at
``start + i / fps`` (exact for constant-frame-rate files). The index (packet timestamps, no
decoding; see ``video_index``) is built in a background thread by default; when it arrives
frame ``i`` becomes the ``i``-th presentation timestamp, exact for variable frame rates too,
and if that changes the mapping or the frame count the cache is dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import av
import numpy as np

from actionvos.errors import ClipError

from .clip import Clip, NumberedFrameNames, Progress
from .lru import DEFAULT_CACHE_BYTES, FrameCache
from .video_index import KeyframeIndex, build_index, load_cached_index, save_cached_index

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm")
IndexMode = Literal["background", "now", "none"]
_HINT = "Supported videos: " + ", ".join(VIDEO_EXTENSIONS) + " (any codec FFmpeg decodes)."


class VideoClip(Clip):
    """A video file as a lazily decoded ``(T, H, W, 3)`` uint8 clip.

    ``frame_names`` are ``frame_0000000001``... (1-based, as EPIC-KITCHENS numbers the
    frames it extracts). ``index``: ``"background"`` (default) builds the keyframe index in a
    thread, ``"now"`` builds it before returning, ``"none"`` never builds it (constant frame
    rate assumed). ``index_cache_dir``: if given, the index is saved there and reused.
    Thread-safe: one lock guards the decoder, the cache has its own.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        index: IndexMode = "background",
        index_cache_dir: str | Path | None = None,
    ) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._cache = FrameCache(cache_bytes)
        self._closed = False
        self._index: KeyframeIndex | None = None
        self._index_error: Exception | None = None
        self._index_cancel = threading.Event()
        self._verified = False
        self._index_cache_dir = Path(index_cache_dir) if index_cache_dir is not None else None
        self.index_ready = threading.Event()
        self._index_thread: threading.Thread | None = None
        self._container = _open_container(self.path)
        try:
            self._setup_stream()
            self._reset_decoder()
            self._start = self._first_frame_pts()
        except BaseException:
            self._container.close()
            raise
        self._install_cached_or_build(index)

    # --- opening ---------------------------------------------------------------------------
    def _setup_stream(self) -> None:
        container, path = self._container, self.path
        if not container.streams.video:
            raise ClipError(f"{path} has no video stream. {_HINT}")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame + slice threads: faster forward decoding
        self._stream = stream
        self.width, self.height = int(stream.codec_context.width), int(stream.codec_context.height)
        if self.width <= 0 or self.height <= 0:
            raise ClipError(f"{path}: the video stream has no frame size; the file is damaged")
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate or rate <= 0:
            raise ClipError(f"{path}: the video stream has no frame rate; re-encode it")
        self.fps = float(rate)
        # mp4 reports a mean rate apart from the codec's rate when frames are unevenly spaced;
        # then i / fps is wrong, and reads wait for the (fast) packet index instead.
        guessed = stream.guessed_rate
        self._vfr_suspected = bool(guessed) and abs(float(guessed) - self.fps) > 0.01 * self.fps
        self._tb = float(stream.time_base) if stream.time_base else 1.0 / self.fps
        self._ticks = 1.0 / (self.fps * self._tb)  # timestamp units per frame
        self._n_exact = bool(stream.frames and stream.frames > 0)
        if self._n_exact:
            self._n_frames = int(stream.frames)
        else:
            seconds = None
            if stream.duration:
                seconds = stream.duration * self._tb
            elif container.duration:
                seconds = container.duration / av.time_base
            self._n_frames = max(1, round(seconds * self.fps)) if seconds else 0

    def _first_frame_pts(self) -> int:
        """Decode frame 0 (validates the file, warms the cache); its pts anchors the timeline."""
        try:
            frame = next(self._decoder)
        except StopIteration:
            raise ClipError(
                f"{self.path} has no decodable video frames; the file is damaged"
            ) from None
        except av.FFmpegError as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            raise ClipError(f"cannot decode {self.path}: {why}; the file is damaged") from None
        pts = frame.pts if frame.pts is not None else frame.dts
        start = int(pts) if pts is not None else int(self._stream.start_time or 0)
        self._consumed = (0, frame)
        self._last = 0
        self._cache.put(0, self._to_rgb(frame))
        return start

    def _install_cached_or_build(self, mode: IndexMode) -> None:
        if self._index_cache_dir is not None:
            cached = load_cached_index(self._index_cache_dir, self.path)
            if cached is not None:
                self._install_index(cached)
                self.index_ready.set()
                return
        if mode == "now" or (self._n_frames == 0 and mode != "none"):
            self.build_index()  # no usable count in the header: the scan is the only source
        elif mode == "background":
            self._index_thread = threading.Thread(
                target=self._index_worker, name=f"index {self.path.name}", daemon=True
            )
            self._index_thread.start()
        elif mode != "none":
            raise ClipError(f"index must be 'background', 'now' or 'none', got {mode!r}")
        if self._n_frames == 0:
            raise ClipError(f"{self.path}: cannot tell how many frames the video has")

    # --- the index -------------------------------------------------------------------------
    def build_index(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> KeyframeIndex:
        """Scan packet timestamps now (no decoding) and use them; returns the index."""
        idx = build_index(self.path, 0, progress=progress, cancel=cancel)
        self._install_index(idx)
        if self._index_cache_dir is not None and idx.complete:
            save_cached_index(self._index_cache_dir, self.path, idx)
        self.index_ready.set()
        return idx

    def _index_worker(self) -> None:
        if sys.platform.startswith("linux"):
            # Linux applies a thread id's nice value to that thread only: reads on the UI
            # thread then win the 2 cores over the scan (halves their latency while indexing).
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        try:
            self.build_index(cancel=self._index_cancel)
        except Exception as exc:  # the clip stays usable with the constant-rate mapping
            if not self._closed:
                log.warning("could not index %s: %s", self.path, exc)
            self._index_error = exc
        finally:
            self.index_ready.set()

    def _install_index(self, idx: KeyframeIndex) -> None:
        if idx.n_frames == 0:
            return
        with self._lock:
            if self._closed:
                return
            n = idx.n_frames
            cfr = self._start + np.round(np.arange(n) * self._ticks)
            remapped = bool(np.abs(idx.pts - cfr).max() > self._ticks / 2)
            if remapped or n != self._n_frames:
                if n != self._n_frames:
                    log.info("%s: %d frames by index, %d by header", self.path, n, self._n_frames)
                self._cache.clear()
                self._reset_decoder()
            self._index = idx
            self._n_frames = n
            self._n_exact = True

    def verify_frame_count(
        self, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> int:
        """Settle the frame count on what really decodes; returns it.

        A container whose index sits at the start (mp4 with ``faststart``) lists every
        frame of the header even when the file is cut short, and so does the packet index
        (the demuxer trims the last packet to the bytes present). So the last group of
        pictures is decoded: the frame count becomes one past the last frame that decodes,
        and the index is cut to match. Costs one packet scan (shared with the index) and one
        GOP of decoding; later calls return at once.
        """
        if self._verified:
            return self._n_frames
        if self._index is None and self._index_thread is not None:
            self.index_ready.wait()
        if self._index is None:
            self.build_index(progress=progress, cancel=cancel)
        with self._lock:
            if self._closed:
                raise ClipError(f"{self.path} was closed; open it again to read frames")
            claimed = self._n_frames
            last = self._last_decodable(claimed)
            if last < 0:
                raise ClipError(
                    f"{self.path}: no frame decodes although the video claims {claimed}; "
                    "the file is damaged or truncated. Re-encode or re-download it."
                )
            if last + 1 < claimed:
                log.warning(
                    "%s: %d of the %d frames listed in the file decode; it is truncated",
                    self.path, last + 1, claimed,
                )  # fmt: skip
                self._truncate_to(last + 1)
            self._verified = True
            self._seek(None)  # the scan left the demuxer at the end of the file
            return self._n_frames

    def _last_decodable(self, n: int) -> int:
        """Index of the last frame that decodes, searching back one keyframe at a time."""
        key = self._index.keyframe_before(n - 1) if self._index is not None else 0
        while True:
            self._seek(None if key == 0 else self._pts_of(key))
            last = -1
            try:
                for frame in self._container.decode(self._stream):
                    last = max(last, self._index_of(frame))
            except av.FFmpegError:
                pass  # the damaged tail: what decoded before it counts
            if last >= 0 or key == 0:
                return min(last, n - 1)
            key = self._index.keyframe_before(key - 1) if self._index is not None else 0

    def _truncate_to(self, n: int) -> None:
        """Keep frames ``0..n-1``: the count, the index and the cache (caller holds the lock)."""
        if self._index is not None:
            self._index = KeyframeIndex(
                pts=self._index.pts[:n],
                keyframes=self._index.keyframes[self._index.keyframes < n],
                complete=False,
            )
        self._n_frames = n
        self._cache.clear()

    @property
    def frame_count_verified(self) -> bool:
        """True once ``verify_frame_count`` has settled ``n_frames`` on what decodes."""
        return self._verified

    def wait_for_index(self, timeout: float | None = None) -> KeyframeIndex | None:
        """Block until the background index is done (or ``timeout``); the index or None."""
        self.index_ready.wait(timeout)
        return self._index

    @property
    def keyframe_index(self) -> KeyframeIndex | None:
        return self._index

    # --- Clip interface --------------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return self._n_frames

    @property
    def n_frames_exact(self) -> bool:
        """False while the count is only duration x rate (mkv/webm before the index)."""
        return self._n_exact

    @property
    def frame_names(self) -> Sequence[str]:
        return NumberedFrameNames(self._n_frames)

    def timestamp(self, i: int) -> float:
        """Presentation time of frame ``i`` in seconds from the start of the video."""
        return (self._pts_of(i) - self._start) * self._tb

    def _read_frame(self, i: int) -> np.ndarray:
        hit = self._cache.get(i)
        if hit is not None:
            return hit
        if self._vfr_suspected and self._index_thread is not None and self._index is None:
            self.index_ready.wait()
        with self._lock:
            if self._closed:
                raise ClipError(f"{self.path} was closed; open it again to read frames")
            hit = self._cache.get(i)
            if hit is not None:
                return hit
            rgb = self._to_rgb(self._decode(i))
            self._cache.put(i, rgb)
            return rgb

    def close(self) -> None:
        self._index_cancel.set()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._decoder = None
                self._consumed = self._pending = None
                self._container.close()
                self._cache.clear()

    # --- decoding (caller holds the lock) --------------------------------------------------
    def _to_rgb(self, frame: av.VideoFrame) -> np.ndarray:
        return frame.to_ndarray(format="rgb24", width=self.width, height=self.height)

    def _pts_of(self, i: int) -> int:
        if self._index is not None and i < self._index.n_frames:
            return int(self._index.pts[i])
        return self._start + round(i * self._ticks)

    def _index_of(self, frame: av.VideoFrame) -> int:
        pts = frame.pts if frame.pts is not None else frame.dts
        if pts is None:
            return self._last + 1
        if self._index is not None:
            return self._index.frame_of_pts(int(pts))
        return round((int(pts) - self._start) / self._ticks)

    def _reset_decoder(self) -> None:
        self._decoder = self._container.decode(self._stream)
        self._consumed = None  # (index, frame) last pulled and used
        self._pending = None  # (index, frame) pulled past a request, kept for the next one
        self._last = -1

    def _seek(self, pts: int | None) -> None:
        """Seek to the keyframe at or before ``pts``; None means the start of the file."""
        try:
            if pts is None:
                self._container.seek(0)
            else:
                self._container.seek(int(pts), stream=self._stream, backward=True)
        except av.FFmpegError as exc:
            raise ClipError(f"cannot seek in {self.path}: {exc}; the file is damaged") from None
        self._reset_decoder()

    def _pull(self) -> tuple[int, av.VideoFrame] | None:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        try:
            frame = next(self._decoder)
        except StopIteration:
            return None
        except av.FFmpegError as exc:
            self._decoder = None
            raise ClipError(
                f"{self.path}: decoding after frame {self._last} failed ({exc}); "
                "the file is damaged or truncated"
            ) from None
        self._last = self._index_of(frame)
        return self._last, frame

    def _can_continue(self, i: int) -> bool:
        """True when decoding on from the current position beats seeking."""
        if self._decoder is None:
            return False
        nxt = self._pending[0] if self._pending is not None else self._last + 1
        if self._consumed is not None and self._consumed[0] == i:
            return True
        if nxt > i:
            return False
        if self._index is not None:
            return self._index.keyframe_before(i) <= max(nxt, 0) + 2
        return i - nxt <= max(60, 2 * round(self.fps))

    def _scan_to(self, i: int) -> av.VideoFrame | None:
        """Decode forward to frame ``i``; None when the decoder is already past it."""
        if self._consumed is not None and self._consumed[0] == i:
            return self._consumed[1]
        prev = self._consumed if self._consumed is not None and self._consumed[0] < i else None
        while True:
            item = self._pull()
            if item is None:
                self._decoder = None
                return self._at_end(i, prev)
            if item[0] < i:
                prev = self._consumed = item
                continue
            if item[0] == i:
                self._consumed = item
                return item[1]
            self._pending = item  # a timestamp gap: show the frame still on screen at i
            return prev[1] if prev is not None else None

    def _at_end(self, i: int, prev: tuple[int, av.VideoFrame] | None) -> av.VideoFrame | None:
        if prev is None:
            return None
        if i - prev[0] <= 1:  # a rounded duration can over-count by one frame
            return prev[1]
        raise ClipError(
            f"frame {i} of {self.path} cannot be decoded: the video ends after frame {prev[0]} "
            f"although it claims {self._n_frames} frames. The file may be truncated; "
            "re-encode or re-download it."
        )

    def _decode(self, i: int) -> av.VideoFrame:
        if self._can_continue(i):
            frame = self._scan_to(i)
            if frame is not None:
                return frame
        if self._index is not None:
            first = self._pts_of(self._index.keyframe_before(i))
        else:
            first = self._pts_of(i)
        # If the demuxer lands after frame i (odd containers, a wrong rate), step back;
        # the last resort is the very start of the file.
        second = self.fps * self._ticks
        for back in (0, 2 * second, 10 * second, 60 * second, None):
            target = None if back is None else first - back
            if target is not None and target <= self._start:
                target = None
            self._seek(target)
            frame = self._scan_to(i)
            if frame is not None or target is None:
                break
        if frame is not None:
            return frame
        if self._pending is not None:  # frame i lies before the first decodable frame
            return self._pending[1]
        raise ClipError(f"frame {i} of {self.path} cannot be decoded; the file is damaged")


def _open_container(path: Path) -> av.container.InputContainer:
    """Open ``path`` for reading, turning every failure into a ClipError that names it."""
    if not path.exists():
        raise ClipError(f"video {path} does not exist; check the path")
    if path.is_dir():
        raise ClipError(f"{path} is a folder, not a video file; open it as a frame folder")
    if path.stat().st_size == 0:
        raise ClipError(f"video {path} is empty (0 bytes); re-copy or re-encode it")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except Exception as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise ClipError(
            f"cannot open {path} as a video ({why}). The file may be truncated, damaged or "
            f"not a video. {_HINT}"
        ) from None
