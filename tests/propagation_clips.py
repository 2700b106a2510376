"""A small clip whose motion is known exactly, for the propagation tests."""

from __future__ import annotations

import numpy as np


def textured_disc_clip(n_frames: int = 8, step: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A textured disc sliding right by ``step`` px a frame over a textured background."""
    rng = np.random.default_rng(3)
    h, w = 72, 120
    background = rng.uniform(0.2, 0.4, (h, w + 64)).astype(np.float32)
    texture = rng.uniform(0.6, 1.0, (h, w + 64)).astype(np.float32)
    yy, xx = np.mgrid[:h, : w + 64]
    frames, masks = [], []
    for t in range(n_frames):
        disc = (yy - 36) ** 2 + (xx - 30 - step * t) ** 2 <= 14**2
        frame = np.where(disc, np.roll(texture, step * t, axis=1), background)[:, :w]
        frames.append(frame)
        masks.append(disc[:, :w])
    return np.stack(frames), np.stack(masks)
