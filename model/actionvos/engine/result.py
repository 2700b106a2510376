"""What one engine run leaves behind, small enough to keep for a whole clip.

Only the selected query's stride-4 mask logits (per window, per object; float32 by default,
float16 on request) and the positive probabilities are kept. Full-resolution probabilities
and label maps are computed one frame at a time on request, so the gate threshold can be
changed afterwards without rerunning the network and a long clip never holds full-size maps
in memory. A streaming consumer can drop each window's logits once it has written them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from actionvos.engine.postprocess import (
    MASK_THRESHOLD,
    POSITIVE_THRESHOLD,
    merge_label_map,
    upsample_probs,
)
from actionvos.errors import InputError


@dataclass
class WindowResult:
    """One official 36-frame window: frames ``[start, stop)``."""

    start: int
    stop: int
    query: torch.Tensor  # LongTensor [N], the selected query per object
    positive: torch.Tensor  # float32 [N], sigmoid of the positive head
    # [N, stop - start, h, w], the selected query's stride-4 logits; None once streamed out
    logits: torch.Tensor | None


@dataclass
class EngineResult:
    """Per-object results of a clip; label maps are computed per frame on request."""

    objects: list[str]
    prompts: list[str]
    frame_size: tuple[int, int]  # (H0, W0) of the clip's frames
    input_size: tuple[int, int]  # (h, w) of the network input
    threshold: float = POSITIVE_THRESHOLD
    windows: list[WindowResult] = field(default_factory=list)
    # The last frame's full-size probabilities: label maps at two thresholds cost one resize.
    _last: tuple[int, torch.Tensor] | None = field(default=None, repr=False, compare=False)

    # --- sizes -----------------------------------------------------------------------------
    @property
    def num_objects(self) -> int:
        return len(self.objects)

    @property
    def num_frames(self) -> int:
        return self.windows[-1].stop if self.windows else 0

    def _window_of(self, t: int) -> WindowResult:
        if not 0 <= t < self.num_frames:
            raise InputError(f"frame {t} is outside the clip (0..{self.num_frames - 1})")
        starts = [w.start for w in self.windows]
        return self.windows[bisect.bisect_right(starts, t) - 1]

    def object_index(self, obj: int | str) -> int:
        """0-based index of an object given by index or by name."""
        if isinstance(obj, str):
            if obj not in self.objects:
                raise InputError(f"no object named {obj!r}; the objects are {self.objects}")
            return self.objects.index(obj)
        if not 0 <= obj < self.num_objects:
            raise InputError(f"object index {obj} is outside 0..{self.num_objects - 1}")
        return int(obj)

    # --- gate ------------------------------------------------------------------------------
    def window_positive(self) -> np.ndarray:
        """Positive probability per window and object: ``float32 [num_windows, N]``."""
        return np.stack([w.positive.numpy() for w in self.windows]).astype(np.float32)

    def positive_per_frame(self) -> np.ndarray:
        """Positive probability of each frame's window: ``float32 [T, N]``."""
        return np.concatenate(
            [np.repeat(w.positive.numpy()[None], w.stop - w.start, axis=0) for w in self.windows]
        ).astype(np.float32)

    def mean_positive(self) -> np.ndarray:
        """Frame-weighted mean positive probability per object: ``float32 [N]``."""
        return self.positive_per_frame().mean(axis=0)

    def active(self, threshold: float | None = None) -> np.ndarray:
        """Whether each object passes the gate, per window: ``bool [num_windows, N]``."""
        th = self.threshold if threshold is None else threshold
        return self.window_positive() >= th

    def active_per_frame(self, threshold: float | None = None) -> np.ndarray:
        """Gate decision of each frame's window: ``bool [T, N]``."""
        th = self.threshold if threshold is None else threshold
        return self.positive_per_frame() >= th

    # --- masks -----------------------------------------------------------------------------
    def probabilities(self, t: int) -> np.ndarray:
        """Ungated probability per object at frame ``t``, original size: ``float32 [N,H0,W0]``."""
        return self._probs(t)[:, 0].numpy().copy()

    def _probs(self, t: int, objects: list[int] | None = None) -> torch.Tensor:
        last = self._last
        if last is not None and last[0] == t:
            return last[1] if objects is None else last[1][objects]
        w = self._window_of(t)
        if w.logits is None:
            raise InputError(
                f"the masks of frames {w.start}-{w.stop - 1} were handed out as the run went "
                "and not kept (keep_masks=False); run again with keep_masks=True to re-read them"
            )
        logits = w.logits[:, t - w.start][:, None]
        if objects is not None:
            return upsample_probs(logits[objects], self.frame_size)
        probs = upsample_probs(logits, self.frame_size)
        self._last = (t, probs)
        return probs

    def label_map(self, t: int, threshold: float | None = None) -> np.ndarray:
        """The official merged label map of frame ``t``: ``uint8 [H0, W0]``, k = object k-1."""
        th = self.threshold if threshold is None else threshold
        w = self._window_of(t)
        return merge_label_map(self._probs(t), w.positive, threshold=th)[0].numpy()

    def label_maps(self, threshold: float | None = None) -> Iterator[np.ndarray]:
        """Label maps of every frame in order, one at a time."""
        for t in range(self.num_frames):
            yield self.label_map(t, threshold)

    def masks(
        self, obj: int | str, t: int, threshold: float | None = None, exclusive: bool = True
    ) -> np.ndarray:
        """Binary mask of one object at frame ``t``: ``bool [H0, W0]``.

        ``exclusive`` (default) gives the object's pixels in the merged label map, so objects
        never overlap. Otherwise it is the object's own gated probability >= 0.5.
        """
        k = self.object_index(obj)
        if exclusive:
            return self.label_map(t, threshold) == k + 1
        th = self.threshold if threshold is None else threshold
        w = self._window_of(t)
        if float(w.positive[k]) < th:
            return np.zeros(self.frame_size, dtype=bool)
        return self._probs(t, [k])[0, 0].numpy() >= MASK_THRESHOLD

    def summary(self, threshold: float | None = None) -> list[dict]:
        """One JSON-ready record per object: name, prompt, positive per window and mean, active."""
        th = self.threshold if threshold is None else threshold
        pos = self.window_positive()
        act = pos >= th
        return [
            {
                "label": k + 1,
                "name": name,
                "prompt": self.prompts[k],
                "positive_per_window": [round(float(p), 6) for p in pos[:, k]],
                "windows": [[w.start, w.stop] for w in self.windows],
                "positive_mean": round(float(self.mean_positive()[k]), 6),
                "active_per_window": [bool(a) for a in act[:, k]],
                "active": bool(act[:, k].any()),
            }
            for k, name in enumerate(self.objects)
        ]
