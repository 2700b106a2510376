"""Write frames to a video file with PyAV.

Used by the synthetic sample generator, the tests and the benchmark: they need real encoded
files (real codecs, real keyframes) rather than stand-ins, so this goes through the same
FFmpeg libraries that the reader uses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from actionvos.errors import Cancelled, InputError

#: Pixel format each encoder gets unless the caller asks for another.
_DEFAULT_PIX_FMT = {"mjpeg": "yuvj420p"}
#: Encoders that take a constant-quality ``crf`` option.
_CRF_CODECS = ("libx264", "libx265", "libvpx", "libvpx-vp9")


def _as_fraction(fps: float) -> Fraction:
    """A rate as a small fraction so 29.97 becomes 30000/1001, not a huge ratio."""
    frac = Fraction(fps).limit_denominator(1001)
    if frac <= 0:
        raise InputError(f"fps must be positive, got {fps}")
    return frac


def _encoder_options(codec: str, crf: int | None, preset: str | None, options) -> dict:
    opts: dict[str, str] = dict(options or {})
    if crf is not None and codec in _CRF_CODECS:
        opts.setdefault("crf", str(int(crf)))
        if codec.startswith("libvpx"):
            opts.setdefault("b", "0")  # constant-quality mode for vpx
    if preset is not None and codec in ("libx264", "libx265"):
        opts.setdefault("preset", preset)
    if codec.startswith("libvpx"):
        opts.setdefault("deadline", "realtime")  # the default "good" is very slow
        opts.setdefault("cpu-used", "8")
    return opts


def _frame_size(arr: np.ndarray, input_format: str, n: int, path: Path) -> tuple[int, int]:
    """(width, height) of one input frame, after checking its layout."""
    if input_format == "rgb24":
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
            raise InputError(
                f"frame {n} for {path} must be HxWx3 uint8 RGB, got {arr.shape} {arr.dtype}"
            )
        return arr.shape[1], arr.shape[0]
    if input_format == "yuv420p":
        if arr.ndim != 2 or arr.dtype != np.uint8 or arr.shape[0] % 3:
            raise InputError(
                f"frame {n} for {path} must be a (H*3/2, W) uint8 yuv420p plane stack, "
                f"got {arr.shape} {arr.dtype}"
            )
        return arr.shape[1], arr.shape[0] * 2 // 3
    raise InputError(f"input_format must be 'rgb24' or 'yuv420p', got {input_format!r}")


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray] | np.ndarray,
    fps: float = 30.0,
    codec: str = "libx264",
    crf: int | None = 18,
    *,
    gop: int | None = None,
    preset: str | None = None,
    pix_fmt: str | None = None,
    bit_rate: int | None = None,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    input_format: str = "rgb24",
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
    total: int | None = None,
) -> Path:
    """Encode ``frames`` (each HxWx3 uint8 RGB, all one size) to ``path``; return the path.

    ``frames`` may be an array ``(T, H, W, 3)`` or any iterable (a generator keeps memory flat
    for long videos). ``crf`` applies to x264/x265/vpx; ``gop`` is the keyframe interval in
    frames (default: about one second); ``preset`` is the x264 speed preset. The container
    comes from the file extension (.mp4, .mov, .mkv, .avi, .webm). ``input_format="yuv420p"``
    takes ready ``(H*3/2, W)`` planes instead of RGB, skipping the colour conversion, which
    makes long benchmark videos several times faster to write. ``container_options`` go to
    the muxer, e.g. ``{"movflags": "faststart"}`` puts an mp4's index before the frames, as
    files prepared for streaming have it. On any error or cancel the
    partial file is removed, so nothing half-written is left behind.
    """
    path = Path(path)
    rate = _as_fraction(fps)
    if total is None and isinstance(frames, np.ndarray):
        total = int(frames.shape[0])
    try:
        av.codec.Codec(codec, "w")
    except Exception:
        raise InputError(
            f"the video encoder {codec!r} is not available in this PyAV build; "
            "use 'libx264' or 'mpeg4'"
        ) from None
    opts = _encoder_options(codec, crf, preset, options)
    try:
        container = av.open(str(path), mode="w", options=dict(container_options or {}))
    except Exception as exc:
        raise InputError(f"cannot create video {path}: {exc}") from None
    n = 0
    try:
        stream = None
        for frame in frames:
            arr = np.ascontiguousarray(frame)
            width, height = _frame_size(arr, input_format, n, path)
            if stream is None:
                fmt = pix_fmt or _DEFAULT_PIX_FMT.get(codec, "yuv420p")
                stream = _add_stream(container, codec, rate, width, height, fmt, gop, path)
                if bit_rate is not None:
                    stream.bit_rate = int(bit_rate)
                elif codec == "mpeg4":
                    stream.bit_rate = 8 * width * height  # high quality for synthetic clips
                if opts:
                    stream.options = opts
            elif (height, width) != (stream.height, stream.width):
                raise InputError(
                    f"frame {n} for {path} is {width}x{height}, the first was "
                    f"{stream.width}x{stream.height}; all frames must be one size"
                )
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"writing {path} was cancelled; the partial file was removed")
            vf = av.VideoFrame.from_ndarray(arr, format=input_format)
            vf.pts = n
            container.mux(stream.encode(vf))
            n += 1
            if progress is not None:
                progress(n, total or 0, f"encoding {path.name}")
        if stream is None:
            raise InputError(f"no frames to write to {path}")
        container.mux(stream.encode(None))
    except BaseException:
        container.close()
        path.unlink(missing_ok=True)
        raise
    container.close()
    return path


def _add_stream(container, codec, rate, width, height, pix_fmt, gop, path):
    """Create the video stream once the first frame tells the size."""
    if pix_fmt.endswith("420p") and (width % 2 or height % 2):
        raise InputError(
            f"{codec} with {pix_fmt} needs even frame sizes; {path} frames are "
            f"{width}x{height}. Crop or pad the frames by one pixel."
        )
    stream = container.add_stream(codec, rate=rate)
    stream.width = width
    stream.height = height
    stream.pix_fmt = pix_fmt
    stream.time_base = 1 / rate
    stream.codec_context.gop_size = int(gop) if gop else max(1, round(float(rate)))
    stream.thread_type = "AUTO"
    return stream
