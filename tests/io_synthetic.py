"""Synthetic frames for the io tests: smooth gradients plus a moving square.

Smooth content survives lossy codecs closely, and every frame differs from its neighbours,
so a decoded frame can be matched to the one original it came from (an off-by-one read shows).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def synthetic_frames(n: int = 30, height: int = 64, width: int = 96) -> np.ndarray:
    """``(n, height, width, 3)`` uint8 frames."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.empty((n, height, width, 3), dtype=np.uint8)
    for t in range(n):
        out[t, ..., 0] = 128 + 90 * np.sin(2 * np.pi * x / width + 0.35 * t)
        out[t, ..., 1] = 128 + 90 * np.cos(2 * np.pi * y / height - 0.25 * t)
        out[t, ..., 2] = 30 + 180 * (x + y) / (width + height)
        side = max(2, min(16, height // 4, width // 4))
        cx, cy = (5 * t) % (width - side), (3 * t) % (height - side)
        out[t, cy : cy + side, cx : cx + side] = (235, 230, 40)
    return out


def reference_decode(path: str | Path) -> tuple[np.ndarray, list[bool]]:
    """Every frame decoded in order by plain PyAV, and whether each is a keyframe."""
    with av.open(str(path)) as container:
        frames = [(f.to_ndarray(format="rgb24"), f.key_frame) for f in container.decode(video=0)]
    return np.stack([f for f, _ in frames]), [bool(k) for _, k in frames]


def nearest_original(decoded: np.ndarray, originals: np.ndarray) -> np.ndarray:
    """For each decoded frame, the index of the closest original (mean absolute error)."""
    diff = np.abs(decoded[:, None].astype(np.int16) - originals[None].astype(np.int16))
    return diff.mean(axis=(2, 3, 4)).argmin(axis=1)


def write_vfr_video(path: Path, frames: np.ndarray, codec: str = "libx264") -> list[int]:
    """Encode with uneven frame spacing (60, 20, 20 ms...); returns the pts in ms."""
    gaps = np.where(np.arange(len(frames)) % 3 == 0, 60, 20)
    pts = np.concatenate([[0], np.cumsum(gaps)[:-1]]).tolist()
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.codec_context.gop_size = 10
        for frame, ts in zip(frames, pts, strict=True):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = int(ts), Fraction(1, 1000)
            container.mux(stream.encode(vf))
        container.mux(stream.encode(None))
    return pts
