"""Dense optical flow between neighbouring frames, computed once per pair and kept.

Flow comes from scikit-image (``optical_flow_ilk`` by default, ``optical_flow_tvl1`` on
request) on grey frames downscaled by ``scale`` (half size by default: four times fewer
pixels, and the pyramid copes with the motion of a hand-held camera), then upsampled to full
size with its vectors scaled to full-size pixels. A ``FlowCache`` belongs to one clip; the
widget keeps one per open clip so propagating twice does not compute the same flow twice.
Frames are read when first needed (a lazy video clip works), and the downscaled greys and
flows are kept in a byte-bounded LRU cache, so a long 1080p clip does not fill the memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from skimage.color import rgb2gray
from skimage.registration import optical_flow_ilk, optical_flow_tvl1
from skimage.transform import resize

from actionvos.errors import InputError
from actionvos.io.lru import FrameCache

METHODS = ("ilk", "tvl1")
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024


def grey_frame(frame: np.ndarray) -> np.ndarray:
    """``float32 [H, W]`` in [0, 1] from an RGB ``[H, W, 3]`` or grey ``[H, W]`` frame."""
    frame = np.asarray(frame)
    if frame.ndim == 3 and frame.shape[-1] == 3:
        return rgb2gray(frame).astype(np.float32)
    if frame.ndim == 2:
        grey = frame.astype(np.float32)
        if np.issubdtype(frame.dtype, np.integer):
            grey /= float(np.iinfo(frame.dtype).max)
        return grey
    raise InputError(f"a frame must be [H, W, 3] colour or [H, W] grey; got shape {frame.shape}")


@dataclass
class FlowCache:
    """Full-size flow fields between neighbouring frames of one clip, made on first use.

    ``frames`` is a ``[T, H, W, 3]`` / ``[T, H, W]`` array or any clip with ``len`` and
    ``[t]`` (``actionvos.io.Clip``). ``pull(dst, src)`` is ``float32 [2, H, W]``: for each
    pixel x of frame ``dst``, the (row, column) displacement d with frame ``src`` at x + d
    showing the same point, i.e. the field that warps ``src`` onto ``dst``.
    """

    frames: Any
    scale: float = 0.5
    method: str = "ilk"
    radius: int = 4  # window radius in downscaled pixels; small keeps thin objects' motion
    # iLK warps per pyramid level: 3 track as well as scikit-image's 10 here, 2.5x faster
    num_warp: int = 3
    cache_bytes: int = DEFAULT_CACHE_BYTES
    _cache: FrameCache = field(init=False, repr=False)
    _shape: tuple[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unknown optical flow method {self.method!r}; use one of {METHODS}")
        if not 0 < self.scale <= 1:
            raise InputError(f"the flow scale must be in (0, 1], got {self.scale}")
        if len(self.frames) < 1:
            raise InputError("the clip has no frames to compute optical flow on")
        self._shape = grey_frame(self.frames[0]).shape
        self._cache = FrameCache(self.cache_bytes)

    @property
    def n_frames(self) -> int:
        return len(self.frames)

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape

    def _small_grey(self, t: int) -> np.ndarray:
        got = self._cache.get(("grey", t))
        if got is None:
            grey = grey_frame(self.frames[t])
            if grey.shape != self._shape:
                raise InputError(f"frame {t} is {grey.shape}, the clip's frames {self._shape}")
            h, w = self._shape
            size = (max(8, round(h * self.scale)), max(8, round(w * self.scale)))
            got = grey if size == (h, w) else resize(grey, size, anti_aliasing=True)
            got = got.astype(np.float32)
            self._cache.put(("grey", t), got)
        return got

    def pull(self, dst: int, src: int) -> np.ndarray:
        """The field that warps frame ``src`` onto frame ``dst`` (see the class docstring)."""
        for t in (dst, src):
            if not 0 <= t < self.n_frames:
                raise InputError(f"frame {t} is outside the clip (0..{self.n_frames - 1})")
        key = ("flow", int(dst), int(src))
        small = self._cache.get(key)
        if small is None:
            small = self._compute(int(dst), int(src))
            self._cache.put(key, small)
        return self._full_size(small)

    def _compute(self, dst: int, src: int) -> np.ndarray:
        ref, moving = self._small_grey(dst), self._small_grey(src)
        if self.method == "ilk":
            return optical_flow_ilk(ref, moving, radius=self.radius, num_warp=self.num_warp).astype(
                np.float32
            )
        return optical_flow_tvl1(ref, moving).astype(np.float32)

    def _full_size(self, small: np.ndarray) -> np.ndarray:
        h, w = self._shape
        if small.shape[1:] == (h, w):
            return small
        factors = (h / small.shape[1], w / small.shape[2])
        full = np.empty((2, h, w), dtype=np.float32)
        for axis in range(2):
            full[axis] = resize(small[axis], (h, w), order=1) * factors[axis]
        return full
