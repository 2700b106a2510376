"""Write RGB frames to a video file with PyAV.

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

#: Codecs whose encoders need even frame sizes (4:2:0 chroma subsampling).
_DEFAULT_PIX_FMT = {
    "libx264": "yuv420p",
    "libx265": "yuv420p",
    "mpeg4": "yuv420p",
    "libvpx": "yuv420p",
    "libvpx-vp9": "yuv420p",
    "mjpeg": "yuvj420p",
}


def _as_fraction(fps: float) -> Fraction:
    """A rate as a small fraction so 29.97 becomes 30000/1001, not a huge ratio."""
    frac = Fraction(fps).limit_denominator(1001)
    if frac <= 0:
        raise InputError(f"fps must be positive, got {fps}")
    return frac


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
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
    total: int | None = None,
) -> Path:
    """Encode ``frames`` (each HxWx3 uint8 RGB, all one size) to ``path``; return the path.

    ``frames`` may be an array ``(T, H, W, 3)`` or any iterable (a generator keeps memory flat
    for long videos). ``crf`` applies to x264/x265/vpx; ``gop`` is the keyframe interval in
    frames (default: about one second). The container comes from the file extension. On
    cancel the partial file is removed so nothing half-written is left behind.
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
    opts: dict[str, str] = dict(options or {})
    if crf is not None and codec in ("libx264", "libx265", "libvpx", "libvpx-vp9"):
        opts.setdefault("crf", str(int(crf)))
        if codec.startswith("libvpx"):
            opts.setdefault("b", "0")  # constant quality mode for vpx
    if preset is not None and codec in ("libx264", "libx265"):
        opts.setdefault("preset", preset)
    if codec.startswith("libvpx"):
        opts.setdefault("deadline", "realtime")
        opts.setdefault("cpu-used", "8")

    container = av.open(str(path), mode="w")
    n = 0
    try:
        stream = None
        for frame in frames:
            arr = np.ascontiguousarray(frame)
            if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
                raise InputError(
                    f"frame {n} for {path} must be HxWx3 uint8 RGB, got {arr.shape} {arr.dtype}"
                )
            if stream is None:
                stream = _add_stream(
                    container,
                    codec,
                    rate,
                    arr.shape[1],
                    arr.shape[0],
                    pix_fmt,
                    gop,
                    bit_rate,
                    opts,
                    path,
                )
            elif (arr.shape[0], arr.shape[1]) != (stream.height, stream.width):
                raise InputError(
                    f"frame {n} for {path} is {arr.shape[1]}x{arr.shape[0]}, the first was "
                    f"{stream.width}x{stream.height}; all frames must be one size"
                )
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"writing {path} was cancelled")
            vf = av.VideoFrame.from_ndarray(arr, format="rgb24")
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


def _add_stream(container, codec, rate, width, height, pix_fmt, gop, bit_rate, opts, path):
    """Create the video stream once the first frame tells the size."""
    fmt = pix_fmt or _DEFAULT_PIX_FMT.get(codec, "yuv420p")
    if fmt.endswith("420p") and (width % 2 or height % 2):
        raise InputError(
            f"{codec} with {fmt} needs even frame sizes; {path} frames are {width}x{height}. "
            "Crop or pad the frames by one pixel."
        )
    stream = container.add_stream(codec, rate=rate)
    stream.width = width
    stream.height = height
    stream.pix_fmt = fmt
    stream.time_base = Fraction(1, 1) / rate
    stream.codec_context.gop_size = int(gop) if gop else max(1, round(float(rate)))
    if bit_rate is not None:
        stream.bit_rate = int(bit_rate)
    elif codec == "mpeg4":
        stream.bit_rate = 8 * width * height  # ~ high quality for synthetic tests
    if opts:
        stream.options = opts
    return stream
