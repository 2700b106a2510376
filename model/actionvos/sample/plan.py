"""What an action template produces and what it may use.

A :class:`Plan` is one action: its narration, the objects it involves with their tracks,
and the hands' holds. A :class:`Context` hands a template the RNG, the frame geometry, the
hands and a shape maker; its helpers place objects and compute where a palm grips them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from actionvos.sample.hands import LEFT, RIGHT
from actionvos.sample.motion import Hold, ObjectTrack, local_offset
from actionvos.sample.scene import Model, Pose
from actionvos.sample.shapes import Shape
from actionvos.sample.vocabulary import CONTENT_COLOURS, NOVEL_CONTENT_COLOURS, RGB


@dataclass
class Planned:
    """An object the action involves."""

    noun: str
    shape: Shape
    track: ObjectTrack


@dataclass
class Plan:
    action: str
    narration: str
    verb: str
    noun: str
    all_nouns: list[str]
    objects: list[Planned]
    holds: list[Hold]
    extras: Callable[[int], list[tuple[Model, Pose]]] | None = None  # unlabelled (pour stream)


@dataclass
class Context:
    """What a template may use: the RNG, the frame geometry, the hands and a shape maker."""

    rng: np.random.Generator
    t: np.ndarray  # normalised time of each frame
    height: int
    width: int
    unit: float
    rest: dict[int, np.ndarray]  # palm rest position per hand
    base: dict[int, np.ndarray]  # elbow position per hand
    hand_size: float
    make_shape: Callable[..., Shape]
    acting: int = RIGHT
    renamed: dict[str, str] = field(default_factory=dict)  # held-out nouns (styles.py)

    def content_colour(self, noun: str) -> RGB:
        """Colour of a named content (liquid, stirred food), under its held-out name if any."""
        if noun in self.renamed:
            return NOVEL_CONTENT_COLOURS[self.renamed[noun]]
        return CONTENT_COLOURS[noun]

    @property
    def n(self) -> int:
        return self.t.size

    @property
    def other(self) -> int:
        return LEFT if self.acting == RIGHT else RIGHT

    @property
    def sgn(self) -> float:
        return 1.0 if self.acting == RIGHT else -1.0

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def clamp(self, x: float, y: float, r: float) -> tuple[float, float]:
        """Keep a centre far enough from the frame's edges for an object of radius r."""
        m = 0.04 * self.unit
        x = float(np.clip(x, r + m, self.width - r - m))
        y = float(np.clip(y, r + m, self.height * 0.8 - r))
        return x, y

    def frame_at(self, time: float) -> int:
        return int(np.argmin(np.abs(self.t - time)))

    def grip(self, obj: Planned, hand: int, time: float, style: str = "auto") -> Hold:
        """A hold whose palm offset suits the object: on a handle, over a fruit, on a rim."""
        i = self.frame_at(time)
        tr, sh = obj.track, obj.shape
        c = tr.centre(i)
        to_obj = c - self.base[hand]
        d = to_obj / max(float(np.hypot(*to_obj)), 1e-9)
        hs = self.hand_size
        if style == "auto":
            style = (
                "handle"
                if sh.grip is not None
                else ("rim" if sh.noun in ("bowl", "plate", "pan") else "over")
            )
        if style == "handle":
            off = sh.grip if sh.grip is not None else (0.0, 0.0)
            return Hold(hand, -1, time, 1.0, off)
        if style == "rim":
            palm = c - d * (sh.size + 0.55 * hs)
        else:
            palm = c - d * (1.15 * hs - 0.45 * sh.size)
        return Hold(hand, -1, time, 1.0, local_offset(tr, i, palm))


def hold(
    ctx: Context,
    objs: list[Planned],
    k: int,
    hand: int,
    t0: float,
    t1: float,
    style: str = "auto",
    approach: float = 0.22,
) -> Hold:
    h = ctx.grip(objs[k], hand, t0, style)
    h.obj, h.t1, h.approach = k, t1, approach
    return h


def still(ctx: Context, noun: str, x: float, y: float, angle: float = 0.0, **kw) -> Planned:
    shape = ctx.make_shape(noun, **kw)
    x, y = ctx.clamp(x, y, shape.model.radius * 0.8)
    return Planned(noun, shape, ObjectTrack.still(ctx.n, x, y, angle))


def tool_angle(ctx: Context) -> float:
    """Tools lie pointing away from the body, tilted toward the acting hand's side."""
    return -math.pi / 2 + ctx.sgn * ctx.u(-0.5, 0.25)
