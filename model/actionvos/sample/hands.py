"""Egocentric hands seen from above: a forearm from the bottom edge, a palm, four fingers
and a thumb, built afresh each frame because the grip and the arm's length change.

Hand-local coordinates have their origin at the palm centre and +u pointing from the elbow
(below the frame) to the fingers. The back of the hand faces the camera, so the right
hand's thumb is on its left (−v) and the left hand's on its right (+v).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actionvos.sample.scene import Model, Pose, Prim, Texture, noise_grid
from actionvos.sample.shapes import mix, scaled
from actionvos.sample.vocabulary import Colour

LEFT, RIGHT = 1, 2  # values in the hand masks


@dataclass
class HandLook:
    """What a hand looks like for a whole clip."""

    side: int  # LEFT or RIGHT
    skin: Colour
    sleeve: Colour | None
    size: float  # palm half length in pixels
    sleeve_gap: float  # visible forearm between wrist and sleeve, pixels
    grid: np.ndarray  # skin noise


def hand_look(
    rng: np.random.Generator, side: int, skin: Colour, sleeve: Colour | None, unit: float
) -> HandLook:
    size = unit * rng.uniform(0.06, 0.07)
    return HandLook(side, skin, sleeve, size, unit * rng.uniform(0.07, 0.16), noise_grid(rng))


def hand_models(
    look: HandLook, palm: np.ndarray, base: np.ndarray, grip: float
) -> tuple[Model, Model | None, Pose]:
    """The skin model, the sleeve model (or None) and their shared pose for one frame."""
    d = palm - base
    length = float(np.hypot(*d))
    angle = math.atan2(d[1], d[0])
    pl = look.size
    pw = pl * 0.78
    ts = -1.0 if look.side == RIGHT else 1.0  # thumb side along v
    skin = look.skin
    tex = Texture("noise", 0.05, pl * 0.15, 0.0, look.grid)
    arm = scaled(skin, 0.94)
    wrist_u = -0.85 * pl
    prims = [
        Prim("capsule", (-length - pl, 0, wrist_u, 0, 1.3 * pw, 0.82 * pw), arm, tex, "edge"),
        Prim("box", (-0.05 * pl, 0, pl * 0.95, pw, pw * 0.7), skin, tex, "edge"),
    ]
    curl = 1.0 - 0.5 * grip
    lengths = (0.95, 1.08, 1.0, 0.8)
    offs = (0.64, 0.21, -0.21, -0.64)
    nail = mix(skin, (255, 230, 225), 0.4)
    for lk, ok in zip(lengths, offs, strict=True):
        v0 = ts * ok * pw
        u0 = 0.7 * pl
        tip_len = lk * 1.05 * pl * curl
        u1, v1 = u0 + tip_len, v0 * 0.97
        rad = 0.22 * pw
        prims.append(Prim("capsule", (u0, v0, u1, v1, rad, rad * 0.9), skin, None, "edge"))
        prims.append(
            Prim("ellipse", (u1 - rad * 0.3, v1, rad * 0.55, rad * 0.55), nail, None, "edge")
        )
    th = math.radians(34.0 - 14.0 * grip)
    tb_u, tb_v = -0.25 * pl, ts * 0.85 * pw
    tl = 0.95 * pl
    prims.append(
        Prim(
            "capsule",
            (
                tb_u,
                tb_v,
                tb_u + tl * math.cos(th),
                tb_v + ts * tl * math.sin(th),
                0.28 * pw,
                0.22 * pw,
            ),
            skin,
            None,
            "edge",
        )
    )
    radius = length + 3 * pl
    skin_model = Model(prims, radius, layer=9)
    sleeve_model = None
    if look.sleeve is not None:
        end_u = wrist_u - look.sleeve_gap
        sleeve_model = Model(
            [
                Prim(
                    "capsule",
                    (-length - pl, 0, end_u, 0, 1.6 * pw, 1.12 * pw),
                    look.sleeve,
                    Texture("stripes", 0.06, pl * 0.12, 0.0),
                    "edge",
                )
            ],
            radius,
            layer=9,
        )
    return skin_model, sleeve_model, Pose(float(palm[0]), float(palm[1]), angle)
