"""Dense optical flow between neighbouring frames, computed once per pair and kept.

Flow comes from scikit-image (``optical_flow_ilk`` by default, ``optical_flow_tvl1`` on
request) on grey frames downscaled by ``scale`` (half size by default: four times fewer
pixels, and the pyramid copes with the motion of a hand-held camera), then upsampled to full
size with its vectors scaled to full-size pixels. A ``FlowCache`` belongs to one clip; the
widget keeps one per open clip so propagating twice does not compute the same flow twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from skimage.color import rgb2gray
from skimage.registration import optical_flow_ilk, optical_flow_tvl1
from skimage.transform import resize

from actionvos.errors import InputError

METHODS = ("ilk", "tvl1")


def grey_frames(frames: np.ndarray) -> np.ndarray:
    """``float32 [T, H, W]`` in [0, 1] from RGB ``[T, H, W, 3]`` or grey ``[T, H, W]`` frames."""
    frames = np.asarray(frames)
    if frames.ndim == 4 and frames.shape[-1] == 3:
        grey = rgb2gray(frames)
    elif frames.ndim == 3:
        grey = frames.astype(np.float32)
        if np.issubdtype(frames.dtype, np.integer):
            grey = grey / float(np.iinfo(frames.dtype).max)
    else:
        raise InputError(
            f"frames must be [T, H, W, 3] colour or [T, H, W] grey; got shape {frames.shape}"
        )
    return np.ascontiguousarray(grey, dtype=np.float32)


@dataclass
class FlowCache:
    """Full-size flow fields between neighbouring frames of one clip, made on first use.

    ``pull(dst, src)`` is ``float32 [2, H, W]``: for each pixel x of frame ``dst``, the
    (row, column) displacement d with frame ``src`` at x + d showing the same point, i.e. the
    field that warps ``src`` onto ``dst``.
    """

    frames: np.ndarray  # the clip, RGB [T, H, W, 3] or grey [T, H, W]
    scale: float = 0.5
    method: str = "ilk"
    radius: int = 4  # window radius in downscaled pixels; small keeps thin objects' motion
    _grey: np.ndarray = field(init=False, repr=False)
    _small: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _flows: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"unknown optical flow method {self.method!r}; use one of {METHODS}")
        if not 0 < self.scale <= 1:
            raise InputError(f"the flow scale must be in (0, 1], got {self.scale}")
        self._grey = grey_frames(self.frames)

    @property
    def n_frames(self) -> int:
        return int(self._grey.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return int(self._grey.shape[1]), int(self._grey.shape[2])

    def grey(self, t: int) -> np.ndarray:
        return self._grey[t]

    def _small_grey(self, t: int) -> np.ndarray:
        if t not in self._small:
            h, w = self.shape
            size = (max(8, round(h * self.scale)), max(8, round(w * self.scale)))
            img = self._grey[t]
            self._small[t] = img if size == (h, w) else resize(img, size, anti_aliasing=True)
        return self._small[t]

    def pull(self, dst: int, src: int) -> np.ndarray:
        """The field that warps frame ``src`` onto frame ``dst`` (see the class docstring)."""
        for t in (dst, src):
            if not 0 <= t < self.n_frames:
                raise InputError(f"frame {t} is outside the clip (0..{self.n_frames - 1})")
        key = (int(dst), int(src))
        if key not in self._flows:
            self._flows[key] = self._compute(*key)
        return self._flows[key]

    def _compute(self, dst: int, src: int) -> np.ndarray:
        ref, moving = self._small_grey(dst), self._small_grey(src)
        if self.method == "ilk":
            small = optical_flow_ilk(ref, moving, radius=self.radius)
        else:
            small = optical_flow_tvl1(ref, moving).astype(np.float32)
        h, w = self.shape
        if small.shape[1:] == (h, w):
            return small.astype(np.float32)
        factors = (h / small.shape[1], w / small.shape[2])
        full = np.empty((2, h, w), dtype=np.float32)
        for axis in range(2):
            full[axis] = resize(small[axis], (h, w), order=1) * factors[axis]
        return full
