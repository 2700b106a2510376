"""Synthetic egocentric kitchen clips with exact ground truth, deterministic by seed.

A clip is a top-down table with two hands whose forearms enter from the bottom edge, 4-7
kitchen objects and one action (cut, pick up, put into/on, pour, stir, open, wash) in
which the involved objects move while the others stay still. Tests, benchmarks and the
README demo use it, and later work trains on it, so colours, textures, table styles,
skin tones, sleeves, positions, the acting hand, the narration and the objects vary by seed.

Active flags. ``active`` follows the official ActionVOS pseudo-label rule exactly (see
``truth.py``): an object is positive if its EPIC-100 noun class is among the narration's
noun classes or it shows inside a hand-object box in some frame. Consequence: a distractor
of a category the narration names (the second apple in "cut apple") is positive although it
is never touched, because the rule works on classes. ``involved`` records what the action
physically uses (the held apple, the knife, the board under the apple), for training that
wants the stricter notion. Distractors are placed clear of every box a hand-held object
ever has (grown by a margin), so a distractor is active only through its class; a
distractor of the same category as an object that is active only through a box (the second
bowl while stirring "soup" in the first) is the hard negative the rule keeps negative.

Object names are unique: instances of a category are called by their noun in order of
nearness to the camera wearer at the first frame (lowest in the image first): the nearest is
"apple", the next "apple 2", then "apple 3". A rule the picture shows, so a prompt names one
instance as a person naming them would (a random assignment would make "apple 2" refer to
either apple, which no model can learn). Ids (mask values) go by name in sorted order, as the
official data preparation sorts them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from actionvos.errors import Cancelled, InputError
from actionvos.sample import layout
from actionvos.sample.actions import TEMPLATES
from actionvos.sample.camera import Tilt
from actionvos.sample.hands import LEFT, RIGHT, hand_look
from actionvos.sample.motion import solve_hand
from actionvos.sample.plan import Context, Plan
from actionvos.sample.render import Drawable, Renderer
from actionvos.sample.scene import table_texture
from actionvos.sample.shapes import Shape, build_shape, jitter_colour
from actionvos.sample.styles import STYLES, Style, rename, substitutes
from actionvos.sample.truth import Box, mask_box, named_in_narration, objects_in_boxes
from actionvos.sample.vocabulary import (
    CONTENT_COLOURS,
    NOUNS,
    SKIN_TONES,
    SLEEVE_COLOURS,
    class_id,
    noun_spec,
)

Progress = Callable[[int, int, str], None]


@dataclass
class SyntheticClip:
    """A generated clip and its ground truth. Ids: ``masks`` value k is object k-1 of the
    lists below; hands are not in ``masks`` but in ``hand_masks`` (1 left, 2 right)."""

    frames: np.ndarray  # uint8 [T, H, W, 3]
    masks: np.ndarray  # uint16 [T, H, W]
    hand_masks: np.ndarray  # uint8 [T, H, W]
    object_names: list[str]
    object_categories: list[str]
    class_ids: list[int]
    active: list[bool]
    involved: list[bool]
    in_narration: list[bool]
    in_handbox: list[bool]
    hand_object_boxes: list[list[Box]]
    hand_object_pairs: list[list[tuple[str, int]]]  # ("left"/"right", object id) per box
    hand_boxes: list[dict[str, Box | None]]
    narration: str
    verb: str
    noun: str
    all_nouns: list[str]
    all_noun_classes: list[int]
    fps: float
    frame_names: list[str]
    seed: int
    action: str
    info: dict = field(default_factory=dict)
    style: str = "default"  # see styles.py

    @property
    def n_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        return int(self.frames.shape[1]), int(self.frames.shape[2])

    def to_clip(self):
        """The frames as an ``actionvos.io.ArrayClip`` (what readers return)."""
        from actionvos.io import ArrayClip

        return ArrayClip(self.frames, self.fps, list(self.frame_names))

    def to_dict(self) -> dict:
        """Everything but the pixel arrays, JSON-ready (what ``sample.json`` holds)."""
        objects = [
            {
                "id": k + 1,
                "name": n,
                "category": c,
                "class_id": int(cid),
                "active": bool(a),
                "involved": bool(i),
                "narration": bool(na),
                "handbox": bool(hb),
            }
            for k, (n, c, cid, a, i, na, hb) in enumerate(
                zip(
                    self.object_names,
                    self.object_categories,
                    self.class_ids,
                    self.active,
                    self.involved,
                    self.in_narration,
                    self.in_handbox,
                    strict=True,
                )
            )
        ]
        return {
            "seed": self.seed,
            "style": self.style,
            "action": self.action,
            "narration": self.narration,
            "verb": self.verb,
            "noun": self.noun,
            "all_nouns": list(self.all_nouns),
            "all_noun_classes": [int(c) for c in self.all_noun_classes],
            "fps": self.fps,
            "n_frames": self.n_frames,
            "height": self.size[0],
            "width": self.size[1],
            "frame_names": list(self.frame_names),
            "objects": objects,
            "hand_object_boxes": [
                [
                    {"hand": h, "object_id": int(k), "box": [int(v) for v in b]}
                    for (h, k), b in zip(pairs, boxes, strict=True)
                ]
                for pairs, boxes in zip(self.hand_object_pairs, self.hand_object_boxes, strict=True)
            ],
            "hand_boxes": [
                {s: (None if b is None else [int(v) for v in b]) for s, b in fb.items()}
                for fb in self.hand_boxes
            ],
        }


def frame_name(index: int) -> str:
    """EPIC-KITCHENS style frame name, 1-based: frame_0000000001."""
    return f"frame_{index + 1:010d}"


def _check_args(seed, n_frames, size, action, n_objects, style) -> tuple[int, int]:
    if not isinstance(n_frames, (int, np.integer)) or n_frames < 2:
        raise InputError(f"n_frames must be an integer of at least 2, got {n_frames!r}")
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise InputError(f"size must be (height, width), got {size!r}") from None
    if h < 96 or w < 96:
        raise InputError(f"size {size} is too small to draw a kitchen; use at least (96, 96)")
    if action is not None and action not in TEMPLATES:
        raise InputError(f"unknown action {action!r}; choose one of {sorted(TEMPLATES)}")
    if style not in STYLES:
        raise InputError(f"unknown style {style!r}; choose one of {sorted(STYLES)}")
    if action is not None and action not in STYLES[style].actions:
        raise InputError(
            f"the {style!r} style has no {action!r} action (its objects have no held-out"
            f" nouns); choose one of {list(STYLES[style].actions)}"
        )
    if n_objects is not None and not 4 <= n_objects <= 7:
        raise InputError(f"n_objects must be between 4 and 7, got {n_objects}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return h, w


def _colour_far_from(rng, options, avoid: np.ndarray, min_dist: float = 70.0):
    """Pick one of ``options`` far from the colour ``avoid`` (the table), else the farthest."""
    opts = [np.asarray(o, dtype=float) for o in options]
    far = [o for o in opts if np.linalg.norm(o - avoid) >= min_dist]
    pool = far if far else [max(opts, key=lambda o: np.linalg.norm(o - avoid))]
    return tuple(float(v) for v in pool[int(rng.integers(len(pool)))])


def make_kitchen_clip(
    seed: int = 0,
    n_frames: int = 24,
    size: tuple[int, int] = (240, 320),
    *,
    fps: float = 15.0,
    action: str | None = None,
    n_objects: int | None = None,
    shake: bool | None = None,
    style: str = "default",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SyntheticClip:
    """Generate one clip; the same arguments always give the same clip.

    ``action`` forces a template (one of ``TEMPLATES``: cut, pick-up, put, pour, stir, open,
    wash); ``n_objects`` forces the object count (4-7; fewer if the table is too crowded);
    ``shake`` forces mild camera shake on or off. The scene (objects, colours, action) does
    not depend on ``n_frames``, so a longer clip of a seed shows the same action.
    ``style`` is ``default`` or ``novel`` (held-out nouns, other tables, light and camera
    tilt; see ``styles.py``); ``default`` clips are what the generator always drew.
    """
    h, w = _check_args(seed, n_frames, size, action, n_objects, style)
    look = STYLES[style]
    seqs = np.random.SeedSequence(int(seed)).spawn(3)
    rng, rng_noise, rng_place = (np.random.default_rng(s) for s in seqs)
    # what only a non-default style draws comes from its own stream: default clips stay as
    # they always were
    rng_style = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    subs = substitutes(rng_style) if look.held_out else {}
    unit = float(min(h, w))
    t = np.linspace(0.0, 1.0, int(n_frames))

    table_style = str(rng.choice(list(look.tables)))
    palette = look.tables[table_style]
    table_col = jitter_colour(rng, palette[int(rng.integers(len(palette)))], 10)
    table_arr = np.asarray(table_col)
    skin = jitter_colour(rng, _colour_far_from(rng, SKIN_TONES, table_arr, 60.0), 8)
    sleeve = (
        None
        if rng.random() < 0.3
        else jitter_colour(rng, SLEEVE_COLOURS[int(rng.integers(len(SLEEVE_COLOURS)))], 15)
    )
    looks = {side: hand_look(rng, side, skin, sleeve, unit) for side in (LEFT, RIGHT)}
    rest, base = {}, {}
    for side, sgn in ((LEFT, -1.0), (RIGHT, 1.0)):
        rest[side] = np.array(
            [w * (0.5 + sgn * rng.uniform(0.18, 0.3)), h * rng.uniform(0.9, 0.98)]
        )
        base[side] = np.array([rest[side][0] + sgn * w * rng.uniform(0.1, 0.2), h + 0.45 * unit])

    def make_shape(noun: str, **kw) -> Shape:
        shown = subs.get(noun, noun)  # templates plan in default nouns; draw the clip's own
        colours = noun_spec(shown).colours
        colour = jitter_colour(rng, _colour_far_from(rng, colours, table_arr), 12)
        return build_shape(shown, rng, unit, colour, **kw)

    ctx = Context(
        rng,
        t,
        h,
        w,
        unit,
        rest,
        base,
        looks[RIGHT].size,
        make_shape,
        RIGHT if rng.random() < 0.7 else LEFT,
        subs,
    )
    template = action if action is not None else str(rng.choice(look.actions))
    plan = _plan(ctx, template, subs)
    for hd in plan.holds:
        hd.t0 = float(t[np.argmin(np.abs(t - hd.t0))]) if hd.t0 > 0 else 0.0

    want = int(n_objects) if n_objects is not None else int(rng.integers(4, 8))
    shapes = [p.shape for p in plan.objects]
    tracks = [p.track for p in plan.objects]
    nouns = [p.noun for p in plan.objects]
    involved = [True] * len(nouns)
    margin = max(3, round(0.015 * unit))
    occ = layout.occupancy((h, w), [s.model for s in shapes], tracks, plan.holds, t, margin)
    same = rng.random() < 0.5
    failures = 0
    while len(nouns) < want:
        if same:
            noun = str(rng.choice([n for n in nouns if n != "chopping board"] or ["apple"]))
            same = False
        elif failures:  # a crowded table: small things still fit
            noun = str(rng.choice(("egg", "lemon", "tomato", "fork", "spoon", "lid")))
        else:
            noun = str(rng.choice(sorted(n for n in NOUNS if n != "chopping board")))
        kw = {}
        if NOUNS[noun].kind in ("cup", "glass", "bowl", "pan", "jar") and rng.random() < 0.5:
            kw["content"] = CONTENT_COLOURS[str(rng.choice(sorted(CONTENT_COLOURS)))]
        shape = make_shape(noun, **kw)
        track = layout.place(
            occ,
            shape.model,
            float(rng.uniform(0, 2 * math.pi)),
            rng_place,
            t.size,
            margin,
            h * 0.78,
        )
        if track is None:
            failures += 1
            if len(nouns) >= 4 or failures > 12:
                break
            continue
        shapes.append(shape)
        tracks.append(track)
        nouns.append(noun)
        involved.append(False)

    shown = [subs.get(n, n) for n in nouns]
    order, names = _name_objects(shown, [float(tr.y[0]) for tr in tracks], rng)
    hand_tracks = {
        side: solve_hand(
            t,
            rest[side],
            base[side],
            [hd for hd in plan.holds if hd.hand == side],
            tracks,
            rng,
            unit,
        )
        for side in (LEFT, RIGHT)
    }
    lifted = {
        hd.obj for hd in plan.holds if np.ptp(tracks[hd.obj].x) + np.ptp(tracks[hd.obj].y) > 0
    }
    new_id = {old: k + 1 for k, old in enumerate(order)}
    drawables = [
        Drawable(new_id[k], shapes[k].model, tracks[k], k in lifted) for k in range(len(shapes))
    ]

    use_shake = (rng.random() < 0.6) if shake is None else bool(shake)
    offsets = _shake(rng, t.size, unit if use_shake else 0.0)
    m = int(np.abs(offsets).max()) + 1
    table = table_texture(rng, (h + 2 * m, w + 2 * m), table_style, table_col, unit)
    renderer = Renderer(
        table,
        m,
        (h, w),
        drawables,
        [(looks[s], hand_tracks[s]) for s in (LEFT, RIGHT)],
        offsets,
        unit,
        plan.extras,
        ctx.acting,
    )
    light = _light(look, rng_style, (h, w))
    frames, masks, hands = _draw(renderer, t.size, (h, w), rng, rng_noise, light, progress, cancel)

    names_sorted = [names[k] for k in order]
    categories = [shown[k] for k in order]
    cids = [class_id(c) for c in categories]
    all_nouns = [subs.get(n, n) for n in plan.all_nouns]
    noun_classes = [class_id(n) for n in all_nouns]
    boxes, pairs = _hand_object_boxes(masks, plan, hand_tracks, new_id)
    in_box = objects_in_boxes(masks, boxes, len(order))
    named = named_in_narration(cids, noun_classes)
    side_name = {LEFT: "left", RIGHT: "right"}
    hand_boxes = [{side_name[s]: mask_box(hm == s) for s in (LEFT, RIGHT)} for hm in hands]
    return SyntheticClip(
        frames=frames,
        masks=masks,
        hand_masks=hands,
        object_names=names_sorted,
        object_categories=categories,
        class_ids=cids,
        active=[a or b for a, b in zip(in_box, named, strict=True)],
        involved=[involved[k] for k in order],
        in_narration=named,
        in_handbox=in_box,
        hand_object_boxes=boxes,
        hand_object_pairs=pairs,
        hand_boxes=hand_boxes,
        narration=rename(plan.narration, subs),
        verb=plan.verb,
        noun=subs.get(plan.noun, plan.noun),
        all_nouns=all_nouns,
        all_noun_classes=noun_classes,
        fps=float(fps),
        frame_names=[frame_name(i) for i in range(t.size)],
        seed=int(seed),
        action=plan.action,
        info={
            "table": table_style,
            "acting_hand": side_name[ctx.acting],
            "shake": use_shake,
            "brightness": light.brightness,
            "tilt": light.tilt_k,
        },
        style=look.name,
    )


def _plan(ctx: Context, template: str, subs: dict[str, str]) -> Plan:
    """Plan the action; with held-out nouns, plan again until its target has one (a "pick up
    knife" would leave a novel clip's target in the default vocabulary)."""
    for _ in range(100):
        plan = TEMPLATES[template](ctx)
        if not subs or plan.noun in subs:
            return plan
    raise RuntimeError(f"no {template!r} plan with a held-out target noun in 100 tries")


@dataclass
class _Light:
    """How a style lights and films the frames: RGB gains and an optional camera tilt."""

    gains: np.ndarray  # float32 [3], times the per-clip exposure jitter
    brightness: float
    tilt_k: float
    tilt: Tilt | None


def _light(look: Style, rng: np.random.Generator, size: tuple[int, int]) -> _Light:
    if look.name == "default":  # no draws: the default stream stays untouched
        return _Light(np.ones(3, dtype=np.float32), 1.0, 0.0, None)
    brightness = float(rng.uniform(*look.light))
    gains = (brightness * np.asarray(look.tint)).astype(np.float32)
    k = float(rng.uniform(*look.tilt))
    return _Light(gains, brightness, k, Tilt(size, k) if k > 0 else None)


def _name_objects(
    nouns: list[str], start_y: list[float], rng: np.random.Generator
) -> tuple[list[int], dict]:
    """Unique names ("apple", "apple 2"...), nearest the camera (largest ``start_y``) first,
    and the id order: sorted by name."""
    names: dict[int, str] = {}
    for noun in dict.fromkeys(nouns):
        idx = [k for k, n in enumerate(nouns) if n == noun]
        rng.permutation(len(idx))  # drawn as before: the rest of the clip's stream is unchanged
        idx.sort(key=lambda k: -start_y[k])
        for j, k in enumerate(idx):
            names[k] = noun if j == 0 else f"{noun} {j + 1}"
    order = sorted(range(len(nouns)), key=lambda k: names[k])
    return order, names


def _shake(rng: np.random.Generator, n: int, unit: float) -> np.ndarray:
    """Smooth integer camera offsets [n, 2] of at most ~1.2% of the frame."""
    if unit <= 0:
        return np.zeros((n, 2), dtype=int)
    steps = rng.normal(0, 1, size=(n + 8, 2)).cumsum(axis=0)
    kernel = np.ones(5) / 5
    smooth = np.stack([np.convolve(steps[:, k], kernel, mode="valid")[:n] for k in (0, 1)], 1)
    smooth -= smooth.mean(axis=0)
    peak = max(float(np.abs(smooth).max()), 1e-9)
    return np.round(smooth / peak * rng.uniform(0.004, 0.012) * unit).astype(int)


def _draw(renderer: Renderer, n: int, size, rng, rng_noise, light: _Light, progress, cancel):
    h, w = size
    frames = np.empty((n, h, w, 3), dtype=np.uint8)
    masks = np.empty((n, h, w), dtype=np.uint16)
    hands = np.empty((n, h, w), dtype=np.uint8)
    gain = (rng.uniform(0.9, 1.08) * rng.uniform(0.96, 1.04, size=3)).astype(np.float32)
    gain = gain * light.gains
    pad = 16  # sensor noise: crops of one noise field at random offsets, cheaper than fresh
    noise = rng_noise.standard_normal((h + pad, w + pad, 3), dtype=np.float32) * 2.0
    for i in range(n):
        if cancel is not None and cancel.is_set():
            raise Cancelled("generating the synthetic clip was cancelled")
        rgb, lab, hand = renderer.frame(i)
        if light.tilt is not None:
            rgb, lab, hand = light.tilt.rgb(rgb), light.tilt.labels(lab), light.tilt.labels(hand)
        rgb *= gain
        oy, ox = rng_noise.integers(0, pad, size=2)
        rgb += noise[oy : oy + h, ox : ox + w]
        np.clip(rgb, 0, 255, out=rgb)
        frames[i] = rgb.astype(np.uint8)
        masks[i] = lab
        hands[i] = hand
        if progress is not None:
            progress(i + 1, n, "drawing synthetic frames")
    return frames, masks, hands


def _hand_object_boxes(masks, plan: Plan, hand_tracks, new_id):
    """Per frame, the box of each object a hand holds (from its visible mask)."""
    n = masks.shape[0]
    boxes: list[list[Box]] = [[] for _ in range(n)]
    pairs: list[list[tuple[str, int]]] = [[] for _ in range(n)]
    for side, track in hand_tracks.items():
        holds = sorted([hd for hd in plan.holds if hd.hand == side], key=lambda hd: hd.t0)
        for hd, holding in zip(holds, track.holding, strict=True):
            k = new_id[hd.obj]
            for i in np.flatnonzero(holding):
                b = mask_box(masks[i] == k)
                if b is not None:
                    boxes[i].append(b)
                    pairs[i].append(("left" if side == LEFT else "right", k))
    return boxes, pairs
