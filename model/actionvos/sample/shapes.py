"""Drawable models for the kitchen nouns: a few primitives per object, varied by the RNG.

Local coordinates: +u is an object's long axis (tools point from the handle to the tip along
+u), the origin is the object's centre, units are pixels before the object's scale.
Each model also says where a hand grips it (``grip``), where its working end is (``head``:
a knife's blade, a spoon's bowl) and, for containers, the radius their contents fill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actionvos.sample.scene import Model, Prim, Texture, noise_grid
from actionvos.sample.vocabulary import Colour, noun_spec


@dataclass
class Shape:
    """A model plus the handling points the motion templates need."""

    noun: str
    model: Model
    size: float  # main radius / half length in pixels
    colour: Colour
    grip: tuple[float, float] | None = None  # local point under the palm (None: round things)
    head: tuple[float, float] = (0.0, 0.0)  # working end
    inner: float = 0.0  # radius the contents fill (containers)
    lip: tuple[float, float] = (0.0, 0.0)  # where a liquid leaves when pouring


def scaled(c: Colour, f: float) -> Colour:
    return tuple(float(np.clip(x * f, 0, 255)) for x in c)  # type: ignore[return-value]


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(float(x * (1 - t) + y * t) for x, y in zip(a, b, strict=True))  # type: ignore


def jitter_colour(rng: np.random.Generator, c: Colour, amount: float = 14.0) -> Colour:
    """A colour varied a little, so two apples are never exactly alike."""
    return tuple(float(np.clip(x + rng.uniform(-amount, amount), 0, 255)) for x in c)  # type: ignore


def _is_wood(c: Colour) -> bool:
    """Browns get a grain; a red or white plastic board does not."""
    return c[0] > c[1] > c[2] + 25 and c[0] - c[2] > 50


def _noise(rng, strength=0.12, period=4.0) -> Texture:
    return Texture("noise", strength, period, 0.0, noise_grid(rng))


def build_shape(
    noun: str,
    rng: np.random.Generator,
    unit: float,
    colour: Colour,
    *,
    content: Colour | None = None,
    content_role: str = "swirl",
    dirty: bool = False,
    size: float | None = None,
) -> Shape:
    """Build the model of one ``noun``; ``unit`` is min(H, W) in pixels.

    ``content`` colours what is inside a container (cup, glass, bowl, pan, jar);
    ``content_role`` is "swirl" (stirrable, turned by the pose's phase) or "fill" (its level
    follows the pose's fill); ``dirty`` puts food stains on a plate or bowl that fade with the
    pose's ``dirt``. ``size`` (pixels) overrides the random size (a lid fits its jar).
    """
    spec = noun_spec(noun)
    r = float(rng.uniform(*spec.size)) * unit
    if size is not None:
        r = float(size)
    kind = spec.kind
    builder = _BUILDERS[kind]
    # a held-out noun draws with its stand-in's code; ``Shape.noun`` names that stand-in,
    # since the action templates choose grips by it
    shape = builder(spec.draws_as or noun, rng, r, colour, content, content_role)
    if dirty:
        for _ in range(int(rng.integers(3, 6))):
            ang, rad = rng.uniform(0, 2 * math.pi), rng.uniform(0.1, 0.55) * r
            a, b = rng.uniform(0.08, 0.18) * r, rng.uniform(0.06, 0.14) * r
            brown = jitter_colour(rng, (120, 80, 40), 25)
            shape.model.prims.append(
                Prim(
                    "ellipse",
                    (rad * math.cos(ang), rad * math.sin(ang), a, b),
                    brown,
                    _noise(rng, 0.2, 2.0),
                    "flat",
                    "dirt",
                    solid=False,
                    alpha=0.85,
                )
            )
    shape.model.layer = spec.layer
    return shape


def _fruit(noun, rng, r, colour, content, fill) -> Shape:
    aspect = {"lemon": 0.75, "egg": 0.78, "potato": 0.74, "pepper": 0.92}.get(noun, 0.95)
    aspect *= rng.uniform(0.95, 1.03)
    tex = {
        "apple": Texture("stripes", 0.05, r * 0.35, rng.uniform(0, 3)),
        "orange": _noise(rng, 0.1, 1.5),
        "lemon": _noise(rng, 0.1, 1.5),
        "onion": Texture("stripes", 0.08, r * 0.22, rng.uniform(0, 3)),
        "potato": Texture("spots", 0.18, 2.5, 0.0, noise_grid(rng)),
        "egg": _noise(rng, 0.03, 3.0),
    }.get(noun, _noise(rng, 0.05, 3.0))
    prims = [Prim("ellipse", (0, 0, r, r * aspect), colour, tex, "dome")]
    if noun == "pepper":
        for k in range(3):
            ang = k * 2 * math.pi / 3 + 0.3
            prims.append(
                Prim(
                    "ellipse",
                    (0.35 * r * math.cos(ang), 0.35 * r * math.sin(ang), 0.7 * r, 0.65 * r),
                    colour,
                    None,
                    "dome",
                )
            )
    if noun in ("apple", "tomato", "pepper", "orange"):
        green = (60, 120, 40) if noun != "apple" else (90, 60, 30)
        prims.append(Prim("ellipse", (0.05 * r, -0.05 * r, 0.12 * r, 0.1 * r), green, None, "flat"))
    if noun == "tomato":
        for k in range(5):
            ang = k * 2 * math.pi / 5
            prims.append(
                Prim(
                    "capsule",
                    (0, 0, 0.3 * r * math.cos(ang), 0.3 * r * math.sin(ang), 0.06 * r, 0.03 * r),
                    (50, 120, 40),
                    None,
                    "flat",
                )
            )
    if noun == "apple" and rng.random() < 0.5:
        prims.append(
            Prim("ellipse", (0.25 * r, -0.2 * r, 0.22 * r, 0.1 * r), (70, 140, 50), None, "edge")
        )
    return Shape(noun, Model(prims, r * 1.05), r, colour, None, (0.0, 0.0))


def _carrot(noun, rng, r, colour, content, fill) -> Shape:
    thick = 0.2 * r if noun == "carrot" else 0.24 * r
    tip = 0.05 * r if noun == "carrot" else thick * 0.9
    tex = (
        Texture("stripes", 0.1, r * 0.18, 0.0)
        if noun == "carrot"
        else Texture("spots", 0.25, 2.0, 0.0, noise_grid(rng))
    )
    prims = [Prim("capsule", (-r * 0.85, 0, r, 0, thick, tip), colour, tex, "edge")]
    if noun == "carrot":
        for k in (-1, 0, 1):
            prims.append(
                Prim(
                    "capsule",
                    (-r * 0.9, 0, -r * 1.3, k * 0.2 * r, 0.05 * r, 0.03 * r),
                    (60, 140, 50),
                    None,
                    "edge",
                )
            )
    return Shape(noun, Model(prims, r * 1.35), r, colour, (-0.3 * r, 0.0), (0.3 * r, 0.0))


def _banana(noun, rng, r, colour, content, fill) -> Shape:
    pts = [(-r, -0.25 * r), (-0.4 * r, 0.05 * r), (0.4 * r, 0.05 * r), (r, -0.25 * r)]
    prims = []
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:], strict=True):
        prims.append(
            Prim(
                "capsule",
                (x0, y0, x1, y1, 0.16 * r, 0.16 * r),
                colour,
                Texture("gradient", 0.15, 0.1 * r, math.pi / 2),
                "edge",
            )
        )
    prims.append(Prim("ellipse", (-r, -0.25 * r, 0.07 * r, 0.07 * r), (70, 50, 30), None, "flat"))
    return Shape(noun, Model(prims, r * 1.2), r, colour, (-0.2 * r, 0.0), (0.3 * r, 0.0))


def _bread(noun, rng, r, colour, content, fill) -> Shape:
    crumb = mix(colour, (245, 225, 180), 0.7)
    prims = [
        Prim("box", (0, 0, r, 0.8 * r, 0.35 * r), scaled(colour, 0.85), None, "edge"),
        Prim(
            "box",
            (0, 0, 0.85 * r, 0.66 * r, 0.3 * r),
            crumb,
            Texture("spots", 0.12, 1.5, 0.0, noise_grid(rng)),
            "flat",
        ),
    ]
    return Shape(noun, Model(prims, r * 1.3), r, colour, None, (0.0, 0.0))


def _tool(noun, rng, r, colour, content, fill) -> Shape:
    steel = (rng.uniform(175, 210),) * 3
    steel = (steel[0], steel[0] + 2, steel[0] + 6)
    handle_tex = _noise(rng, 0.08, 3.0)
    prims: list[Prim]
    if noun == "knife":
        prims = [
            Prim(
                "capsule",
                (-0.32 * r, 0, r, 0.05 * r, 0.13 * r, 0.02 * r),
                steel,
                Texture("gradient", 0.12, 0.05 * r, math.pi / 2),
                "edge",
            ),
            Prim("capsule", (-r, 0, -0.32 * r, 0, 0.1 * r, 0.11 * r), colour, handle_tex, "edge"),
            Prim("ellipse", (-0.8 * r, 0, 0.03 * r, 0.03 * r), (215, 215, 220), None, "flat"),
            Prim("ellipse", (-0.52 * r, 0, 0.03 * r, 0.03 * r), (215, 215, 220), None, "flat"),
        ]
        grip, head = (-0.66 * r, 0.0), (0.4 * r, 0.0)
    elif noun == "spoon":
        c = colour
        wooden = _is_wood(c)
        tex = Texture("wood", 0.08, 2.0, 0.0, noise_grid(rng)) if wooden else None
        prims = [
            Prim("capsule", (-r, 0, 0.3 * r, 0, 0.06 * r, 0.04 * r), c, tex, "edge"),
            Prim("ellipse", (0.6 * r, 0, 0.36 * r, 0.24 * r), c, tex, "edge"),
            Prim(
                "ellipse",
                (0.6 * r, 0, 0.28 * r, 0.17 * r),
                scaled(c, 0.88),
                Texture("gradient", 0.12, 0.15 * r, 0.7),
                "flat",
            ),
        ]
        grip, head = (-0.55 * r, 0.0), (0.6 * r, 0.0)
    elif noun == "fork":
        prims = [
            Prim("capsule", (-r, 0, 0.25 * r, 0, 0.06 * r, 0.04 * r), colour, None, "edge"),
            Prim("box", (0.35 * r, 0, 0.12 * r, 0.14 * r, 0.05 * r), colour, None, "edge"),
        ]
        for k in (-0.105, -0.035, 0.035, 0.105):
            prims.append(
                Prim(
                    "capsule",
                    (0.4 * r, k * r, r, k * r, 0.022 * r, 0.018 * r),
                    colour,
                    None,
                    "edge",
                )
            )
        grip, head = (-0.55 * r, 0.0), (0.6 * r, 0.0)
    else:  # spatula
        prims = [
            Prim("capsule", (-r, 0, 0.15 * r, 0, 0.065 * r, 0.05 * r), colour, handle_tex, "edge"),
            Prim(
                "box",
                (0.58 * r, 0, 0.42 * r, 0.24 * r, 0.07 * r),
                colour,
                Texture("stripes", 0.25, 0.12 * r, math.pi / 2),
                "edge",
            ),
        ]
        grip, head = (-0.6 * r, 0.0), (0.58 * r, 0.0)
    return Shape(noun, Model(prims, r * 1.05), r, colour, grip, head)


def _container(noun, rng, r, colour, content, fill) -> Shape:
    """Cups, glasses, bowls, pans and jars: a rim, an inside, maybe contents and a handle."""
    rim_tex = (
        Texture("stripes", 0.12, r * 0.3, rng.uniform(0, 3))
        if rng.random() < 0.3 and noun in ("cup", "bowl")
        else None
    )
    inner_f = {"cup": 0.8, "glass": 0.86, "bowl": 0.8, "pan": 0.88, "jar": 0.84}[noun]
    prims = [Prim("ellipse", (0, 0, r, r), colour, rim_tex, "edge")]
    inside = scaled(colour, 0.78) if noun != "glass" else mix(colour, (255, 255, 255), 0.5)
    if noun == "pan":
        inside = scaled(colour, 1.25)
        prims.append(
            Prim(
                "capsule",
                (0.92 * r, 0, 2.0 * r, 0, 0.1 * r, 0.12 * r),
                (35, 30, 30),
                _noise(rng, 0.1, 3.0),
                "edge",
            )
        )
    if noun == "cup":
        prims.append(
            Prim("capsule", (0.9 * r, 0, 1.32 * r, 0, 0.14 * r, 0.14 * r), colour, None, "edge")
        )
    prims.append(
        Prim(
            "ellipse",
            (0, 0, inner_f * r, inner_f * r),
            inside,
            Texture("gradient", 0.18, 0.4 * r, 2.3),
            "flat",
        )
    )
    if noun in ("bowl", "pan"):
        prims.append(
            Prim("ellipse", (0, 0, 0.45 * r, 0.45 * r), scaled(inside, 1.06), None, "flat")
        )
    if content is not None:
        tex = Texture("noise", 0.14, r * 0.08, 0.0, noise_grid(rng))
        prims.append(
            Prim(
                "ellipse",
                (0, 0, inner_f * r * 0.97, inner_f * r * 0.97),
                content,
                tex,
                "flat",
                fill,
            )
        )
    radius = {"pan": 2.05 * r, "cup": 1.47 * r}.get(noun, 1.02 * r)
    lip = (-r, 0.0)
    grip = None
    return Shape(noun, Model(prims, radius), r, colour, grip, (0.0, 0.0), inner_f * r, lip)


def _lid(noun, rng, r, colour, content, fill) -> Shape:
    prims = [
        Prim("ellipse", (0, 0, r, r), colour, Texture("stripes", 0.1, r * 0.12, 0.0), "edge"),
        Prim("ellipse", (0, 0, 0.8 * r, 0.8 * r), scaled(colour, 1.1), None, "flat"),
        Prim(
            "box",
            (0.1 * r, 0, 0.4 * r, 0.22 * r, 0.06 * r),
            (240, 235, 220),
            Texture("stripes", 0.2, 0.1 * r, 0.0),
            "flat",
        ),
    ]
    return Shape(noun, Model(prims, r * 1.02), r, colour, None)


def _bottle(noun, rng, r, colour, content, fill) -> Shape:
    cyl = Texture("gradient", 0.25, 0.12 * r, math.pi / 2)
    prims = [
        Prim("capsule", (-r, 0, 0.3 * r, 0, 0.3 * r, 0.3 * r), colour, cyl, "edge"),
        Prim("capsule", (0.3 * r, 0, 0.78 * r, 0, 0.3 * r, 0.11 * r), colour, cyl, "edge"),
        Prim("box", (0.88 * r, 0, 0.1 * r, 0.13 * r, 0.03 * r), (230, 230, 230), None, "edge"),
        Prim(
            "box",
            (-0.35 * r, 0, 0.38 * r, 0.28 * r, 0.02 * r),
            jitter_colour(rng, (235, 230, 210), 20),
            Texture("stripes", 0.15, 0.15 * r, 0.0),
            "flat",
        ),
    ]
    return Shape(
        noun,
        Model(prims, r * 1.02),
        r,
        colour,
        (-0.35 * r, 0.0),
        (0.9 * r, 0.0),
        lip=(0.98 * r, 0.0),
    )


def _sponge(noun, rng, r, colour, content, fill) -> Shape:
    other = (50, 120, 60) if colour[1] < 150 or colour[0] > 200 else (240, 200, 60)
    prims = [
        Prim(
            "box",
            (0, 0, r, 0.62 * r, 0.14 * r),
            colour,
            Texture("spots", 0.2, 1.2, 0.0, noise_grid(rng)),
            "edge",
        ),
        Prim(
            "box", (0, -0.5 * r, 0.98 * r, 0.13 * r, 0.06 * r), other, _noise(rng, 0.1, 1.5), "flat"
        ),
    ]
    return Shape(noun, Model(prims, r * 1.2), r, colour, None)


def _plate(noun, rng, r, colour, content, fill) -> Shape:
    prims = [
        Prim("ellipse", (0, 0, r, r), colour, None, "edge"),
        Prim(
            "ellipse",
            (0, 0, 0.7 * r, 0.7 * r),
            scaled(colour, 0.93),
            Texture("gradient", 0.05, 0.4 * r, 2.3),
            "edge",
        ),
    ]
    if rng.random() < 0.35:
        band = jitter_colour(rng, (60, 90, 170), 40)
        prims.insert(1, Prim("ellipse", (0, 0, 0.88 * r, 0.88 * r), band, None, "flat"))
        prims.insert(2, Prim("ellipse", (0, 0, 0.84 * r, 0.84 * r), colour, None, "flat"))
    return Shape(noun, Model(prims, r * 1.02), r, colour, None, (0.0, 0.0), 0.7 * r)


def _board(noun, rng, r, colour, content, fill) -> Shape:
    wooden = _is_wood(colour)
    tex = Texture("wood", 0.1, 0.09 * r, 0.0, noise_grid(rng)) if wooden else _noise(rng, 0.05, 6.0)
    hh = r * rng.uniform(0.58, 0.7)
    prims = [
        Prim("box", (0, 0, r, hh, 0.08 * r), colour, tex, "edge"),
        Prim("box", (0, 0, 0.92 * r, hh - 0.08 * r, 0.05 * r), scaled(colour, 0.9), None, "flat"),
        Prim("box", (0, 0, 0.9 * r, hh - 0.1 * r, 0.05 * r), colour, tex, "flat"),
    ]
    return Shape(noun, Model(prims, math.hypot(r, hh) + 1), r, colour, None, (0.0, 0.0), hh)


_BUILDERS = {
    "fruit": _fruit,
    "carrot": _carrot,
    "banana": _banana,
    "bread": _bread,
    "knife": _tool,
    "spoon": _tool,
    "fork": _tool,
    "spatula": _tool,
    "cup": _container,
    "glass": _container,
    "bowl": _container,
    "pan": _container,
    "jar": _container,
    "lid": _lid,
    "bottle": _bottle,
    "sponge": _sponge,
    "plate": _plate,
    "board": _board,
}
