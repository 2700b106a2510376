"""Motion over a clip: eased keyframes for objects and hands that follow what they hold.

Time is normalised to [0, 1] over the clip, so a template describes an action once and the
same seed gives the same action at any frame count. A hand holding an object is rigidly
attached to it: its palm sits at a point fixed in the object's own coordinates, so moving,
turning or twisting the object carries the hand along.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from actionvos.sample.scene import Pose


def ease(x: np.ndarray) -> np.ndarray:
    """Smoothstep: motion starts and stops gently, as hands do."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def keyframes(t: np.ndarray, times: Sequence[float], values: Sequence) -> np.ndarray:
    """Values at times ``t`` eased between ``(times[k], values[k])``; held before/after."""
    times_a = np.asarray(times, dtype=np.float64)
    vals = np.asarray(values, dtype=np.float64)
    if times_a.size == 1:
        return np.broadcast_to(vals[0], (t.size,) + vals.shape[1:]).copy()
    k = np.clip(np.searchsorted(times_a, t, side="right") - 1, 0, times_a.size - 2)
    span = np.maximum(times_a[k + 1] - times_a[k], 1e-9)
    p = ease((t - times_a[k]) / span)
    if vals.ndim > 1:
        p = p[:, None]
    return vals[k] + (vals[k + 1] - vals[k]) * p


@dataclass
class ObjectTrack:
    """Per-frame pose arrays of one object (length T each)."""

    x: np.ndarray
    y: np.ndarray
    angle: np.ndarray
    scale: np.ndarray
    squash: np.ndarray
    fill: np.ndarray
    dirt: np.ndarray
    phase: np.ndarray
    gap: np.ndarray
    split: tuple[float, float, float] | None = None

    @classmethod
    def still(cls, n: int, x: float, y: float, angle: float = 0.0) -> ObjectTrack:
        def c(v: float) -> np.ndarray:
            return np.full(n, v, dtype=np.float64)

        return cls(c(x), c(y), c(angle), c(1.0), c(1.0), c(1.0), c(1.0), c(0.0), c(0.0))

    def pose(self, i: int) -> Pose:
        return Pose(
            float(self.x[i]),
            float(self.y[i]),
            float(self.angle[i]),
            float(self.scale[i]),
            float(self.squash[i]),
            float(self.fill[i]),
            float(self.dirt[i]),
            float(self.phase[i]),
            float(self.gap[i]),
            self.split,
        )

    def moves(self) -> bool:
        """True when the object changes in any way (it is then drawn every frame)."""
        arrays = (
            self.x,
            self.y,
            self.angle,
            self.scale,
            self.squash,
            self.fill,
            self.dirt,
            self.phase,
            self.gap,
        )
        return any(float(np.ptp(a)) > 1e-6 for a in arrays)

    def centre(self, i: int) -> np.ndarray:
        return np.array([self.x[i], self.y[i]])


@dataclass
class Hold:
    """``hand`` holds object ``obj`` (index into the plan's objects) from t0 to t1."""

    hand: int
    obj: int
    t0: float
    t1: float
    offset: tuple[float, float] = (0.0, 0.0)  # palm in the object's local (unscaled) frame
    approach: float = 0.22  # time the hand takes to reach the object
    retreat: float = 0.15
    rotate: bool = True  # False: the palm keeps its side of the object while the object turns


def local_offset(track: ObjectTrack, i: int, palm: np.ndarray) -> tuple[float, float]:
    """The palm point ``palm`` (world) expressed in the object's frame at frame ``i``."""
    d = palm - track.centre(i)
    a, s = track.angle[i], track.scale[i]
    ca, sa = math.cos(a), math.sin(a)
    return ((ca * d[0] + sa * d[1]) / s, (-sa * d[0] + ca * d[1]) / s)


def anchor(
    track: ObjectTrack, off: tuple[float, float], i0: int = 0, rotate: bool = True
) -> np.ndarray:
    """World positions [T, 2] of a point fixed in the object's frame.

    With ``rotate=False`` the point keeps the orientation the object had at frame ``i0``.
    """
    angle = track.angle if rotate else np.full_like(track.angle, track.angle[i0])
    ca, sa = np.cos(angle), np.sin(angle)
    u, v = off[0] * track.scale, off[1] * track.scale
    return np.stack([track.x + ca * u - sa * v, track.y + sa * u + ca * v], axis=1)


@dataclass
class HandTrack:
    """Per-frame palm position [T, 2], elbow (base) position [T, 2] and grip [T]."""

    palm: np.ndarray
    base: np.ndarray
    grip: np.ndarray
    holding: list[np.ndarray] = field(default_factory=list)  # bool [T] per hold


def solve_hand(
    t: np.ndarray,
    rest: np.ndarray,
    base: np.ndarray,
    holds: Sequence[Hold],
    tracks: Sequence[ObjectTrack],
    rng: np.random.Generator,
    unit: float,
) -> HandTrack:
    """Palm path: rest -> each held object's grip point -> follow it -> back to rest."""
    n = t.size
    idle = rest[None, :] + unit * 0.01 * np.stack(
        [
            np.sin(2 * math.pi * (t * rng.uniform(0.5, 1.2) + rng.uniform(0, 1))),
            np.sin(2 * math.pi * (t * rng.uniform(0.5, 1.2) + rng.uniform(0, 1))),
        ],
        axis=1,
    )
    palm = idle.copy()
    grip = np.full(n, 0.3)  # a relaxed hand curls its fingers a little
    holds = sorted(holds, key=lambda h: h.t0)
    prev_end, prev_pos = None, None
    masks = []
    for h in holds:
        track = tracks[h.obj]
        i0 = int(np.argmin(np.abs(t - h.t0)))
        path = anchor(track, h.offset, i0, h.rotate)
        inside = (t >= h.t0 - 1e-9) & (t <= h.t1 + 1e-9)
        masks.append(inside)
        palm[inside] = path[inside]
        start_t = max(h.t0 - h.approach, 0.0 if prev_end is None else prev_end)
        seg = (t >= start_t) & (t < h.t0)
        if seg.any():
            p = ease((t[seg] - start_t) / max(h.t0 - start_t, 1e-9))[:, None]
            origin = idle[seg] if prev_pos is None else prev_pos[None, :]
            palm[seg] = origin + (path[i0][None, :] - origin) * p
        g_in = np.clip((t - (h.t0 - 0.06)) / 0.06, 0, 1)
        g_out = np.clip(1 - (t - h.t1) / 0.06, 0, 1)
        grip = np.maximum(grip, np.minimum(g_in, g_out) * (t <= h.t1 + 0.06))
        i1 = int(np.argmin(np.abs(t - h.t1)))
        prev_end, prev_pos = h.t1, path[i1]
        after = (t > h.t1) & (t <= min(h.t1 + h.retreat, 1.0))
        if after.any() and h.t1 < 1.0:
            p = ease((t[after] - h.t1) / h.retreat)[:, None]
            palm[after] = prev_pos[None, :] + (idle[after] - prev_pos[None, :]) * p
    base_arr = np.repeat(base[None, :], n, axis=0).astype(np.float64)
    base_arr[:, 0] += 0.45 * (palm[:, 0] - rest[0])
    base_arr[:, 1] += 0.25 * np.minimum(palm[:, 1] - rest[1], 0.0)
    return HandTrack(palm, base_arr, grip, masks)
