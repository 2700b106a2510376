"""Which frames of a clip one training sample sees (upstream's sparse sampling).

An anchor frame, one frame 1-3 before and one 1-3 after it (clamped to the clip), and the rest
drawn from frames outside that local span; short clips repeat frames. Sorted, as upstream.
"""

from __future__ import annotations

import numpy as np


def sample_frames(
    n_frames: int, num_frames: int, rng: np.random.Generator, anchor: int | None = None
) -> list[int]:
    """``num_frames`` indices into a clip of ``n_frames`` (a labelled subset: pass its length)."""
    if n_frames < 1:
        raise ValueError("a clip needs at least one frame to sample from")
    a = int(rng.integers(n_frames)) if anchor is None else int(anchor)
    picked = [a]
    if num_frames > 1:
        before, after = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        picked += [max(0, a - before), min(n_frames - 1, a + after)]
    picked = picked[:num_frames]
    rest = num_frames - len(picked)
    if rest > 0:
        lo, hi = min(picked), max(picked)
        outside = [i for i in range(n_frames) if i < lo or i > hi]
        if len(outside) >= rest:
            picked += [outside[i] for i in rng.choice(len(outside), rest, replace=False)]
        elif n_frames >= rest:
            picked += [int(i) for i in rng.choice(n_frames, rest, replace=False)]
        else:
            extra = rng.choice(n_frames, rest - n_frames, replace=True)
            picked += [int(i) for i in extra] + list(range(n_frames))
    return sorted(int(i) for i in picked)
