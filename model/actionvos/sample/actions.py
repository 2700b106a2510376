"""Action templates: which objects an action uses, where they start, how they move.

Each template returns a :class:`Plan` with its narration (EPIC-KITCHENS style: "cut apple",
"put apple into bowl"), the objects it involves, their tracks and the hands' holds.
Distractors are added afterwards by the generator, away from everything a hand holds.
Templates are written for the acting hand on the right and mirrored with ``sgn``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from actionvos.sample.motion import Hold, ObjectTrack, keyframes, local_offset
from actionvos.sample.plan import Context, Plan, Planned, hold, still, tool_angle
from actionvos.sample.scene import Model, Pose, Prim
from actionvos.sample.vocabulary import (
    CONTENT_COLOURS,
    ELONGATED,
    FOODS_TO_CUT,
    LIQUIDS,
    PICKABLE,
    PUTTABLE,
    STIRRABLE,
)

# --------------------------------------------------------------------------- templates


def plan_cut(ctx: Context) -> Plan:
    """Hold a food on a board with one hand and cut it with a knife held in the other."""
    sgn, t, unit = ctx.sgn, ctx.t, ctx.unit
    board = still(
        ctx,
        "chopping board",
        ctx.width / 2 - sgn * ctx.u(0.0, 0.06) * ctx.width,
        ctx.height * ctx.u(0.42, 0.5),
        ctx.u(-0.12, 0.12),
    )
    food_noun = str(ctx.rng.choice(FOODS_TO_CUT))
    bx, by = board.track.x[0], board.track.y[0]
    long = food_noun in ("carrot", "cucumber")
    food = still(
        ctx,
        food_noun,
        bx - sgn * ctx.u(0.0, 0.15) * board.shape.size,
        by + ctx.u(-0.15, 0.05) * board.shape.size,
        (ctx.u(-0.2, 0.2) + (0.0 if sgn > 0 else math.pi)) if long else ctx.u(0, 6.28),
    )
    knife_x = bx + sgn * (board.shape.size + ctx.u(0.1, 0.15) * unit)
    knife = still(ctx, "knife", knife_x, by + ctx.u(-0.08, 0.05) * unit, tool_angle(ctx))
    objs = [board, food, knife]
    fx, fy = food.track.x[0], food.track.y[0]
    # the cut: a line along the knife, some way from the food's centre toward the knife hand
    a_cut = -math.pi / 2 - sgn * ctx.u(0.35, 0.75)
    dk = np.array([math.cos(a_cut), math.sin(a_cut)])
    nrm = np.array([-dk[1], dk[0]])
    if nrm[0] * sgn < 0:
        nrm = -nrm
    reach = food.shape.size * (0.5 if long else 0.35)
    off = ctx.u(0.15, 1.0) * reach
    c_cut = np.array([fx, fy]) + nrm * off
    head = np.array(knife.shape.head)
    ca, sa = math.cos(a_cut), math.sin(a_cut)
    centre_cut = c_cut - np.array([ca * head[0] - sa * head[1], sa * head[0] + ca * head[1]])
    strokes = int(ctx.rng.integers(2, 4))
    amp = 0.045 * unit
    tk = knife.track
    x0, y0, a0 = tk.x[0], tk.y[0], tk.angle[0]
    lift = (x0 + (centre_cut[0] - x0) * 0.5, y0 + (centre_cut[1] - y0) * 0.5 - 0.05 * unit)
    tk.x[:] = keyframes(t, [0.26, 0.36, 0.46], [x0, lift[0], centre_cut[0]])
    tk.y[:] = keyframes(t, [0.26, 0.36, 0.46], [y0, lift[1], centre_cut[1]])
    tk.angle[:] = keyframes(t, [0.26, 0.46], [a0, a_cut])
    tk.scale[:] = keyframes(t, [0.26, 0.36, 0.46], [1.0, 1.08, 1.0])
    saw = (t >= 0.46) & (t <= 0.88)
    phase = (t[saw] - 0.46) / 0.42 * strokes * 2 * math.pi
    tk.x[saw] += dk[0] * amp * np.sin(phase)
    tk.y[saw] += dk[1] * amp * np.sin(phase)
    tk.x[:] += keyframes(t, [0.88, 0.96], [0.0, sgn * 0.05 * unit])
    tk.scale[:] *= keyframes(t, [0.88, 0.96], [1.0, 1.06])
    food.track.split = (float(nrm[0]), float(nrm[1]), float(off))
    food.track.gap[:] = keyframes(t, [0.6, 0.86], [0.0, 0.1 * food.shape.size + 1.5])
    holds = [
        hold(ctx, objs, 2, ctx.acting, 0.24, 1.0),
        hold(ctx, objs, 1, ctx.other, 0.3, 1.0, "over", 0.25),
    ]
    # the holding hand sits on the far side of the cut, fingers over the food
    hs = ctx.hand_size
    to_food = np.array([fx, fy]) - ctx.base[ctx.other]
    d = to_food / np.hypot(*to_food)
    palm = np.array([fx, fy]) - d * (1.2 * hs) - nrm * (0.45 * food.shape.size + 0.3 * hs)
    holds[1].offset = local_offset(food.track, 0, palm)
    narr, nouns = f"cut {food_noun}", [food_noun]
    r = ctx.rng.random()
    if r < 0.2:
        narr, nouns = f"cut {food_noun} with knife", [food_noun, "knife"]
    elif r < 0.3:
        narr, nouns = f"slice {food_noun}", [food_noun]
    verb = narr.split()[0]
    return Plan("cut", narr, verb, food_noun, nouns, objs, holds)


def plan_pick_up(ctx: Context) -> Plan:
    """Reach for one object and lift it toward the body."""
    sgn, t, unit = ctx.sgn, ctx.t, ctx.unit
    noun = str(ctx.rng.choice(PICKABLE))
    kw = {}
    if noun in ("cup", "glass", "jar", "bowl") and ctx.rng.random() < 0.6:
        kw["content"] = CONTENT_COLOURS[str(ctx.rng.choice(("water", "milk", "coffee", "soup")))]
    x = ctx.width * (0.5 + sgn * ctx.u(0.02, 0.25))
    y = ctx.height * ctx.u(0.28, 0.55)
    item = still(
        ctx,
        noun,
        x,
        y,
        tool_angle(ctx) if noun in ELONGATED else ctx.u(0, 6.28),
        **kw,
    )
    tr = item.track
    t0 = ctx.u(0.3, 0.42)
    tx = tr.x[0] + (ctx.width * 0.5 - tr.x[0]) * ctx.u(0.1, 0.4)
    ty = tr.y[0] + ctx.u(0.12, 0.25) * unit
    t_end = min(t0 + ctx.u(0.35, 0.5), 0.98)
    tr.x[:] = keyframes(t, [t0 + 0.04, t_end], [tr.x[0], tx])
    tr.y[:] = keyframes(t, [t0 + 0.04, t_end], [tr.y[0], ty])
    tr.scale[:] = keyframes(t, [t0 + 0.04, t_end], [1.0, ctx.u(1.1, 1.22)])
    tr.angle[:] = keyframes(t, [t0 + 0.04, t_end], [tr.angle[0], tr.angle[0] + ctx.u(-0.4, 0.4)])
    holds = [hold(ctx, [item], 0, ctx.acting, t0, 1.0, approach=min(t0, 0.3))]
    verb = "take" if ctx.rng.random() < 0.3 else "pick-up"
    narr = f"take {noun}" if verb == "take" else f"pick up {noun}"
    return Plan("pick-up", narr, verb, noun, [noun], [item], holds)


def plan_put(ctx: Context) -> Plan:
    """Carry a small item from the table into (or onto) a receptacle."""
    sgn, t, unit = ctx.sgn, ctx.t, ctx.unit
    rec_noun = str(ctx.rng.choice(("bowl", "pan", "plate", "chopping board", "bowl")))
    item_noun = str(ctx.rng.choice(PUTTABLE))
    rec = still(
        ctx,
        rec_noun,
        ctx.width * (0.5 - sgn * ctx.u(0.0, 0.12)),
        ctx.height * ctx.u(0.3, 0.48),
        ctx.u(-0.3, 0.3) + (math.pi if sgn > 0 else 0),
    )
    rx, ry = rec.track.x[0], rec.track.y[0]
    item_shape_r = 0.14 * unit
    ix = rx + sgn * (rec.shape.model.radius * 0.8 + item_shape_r + ctx.u(0.05, 0.12) * unit)
    item = still(
        ctx,
        item_noun,
        ix,
        ry + ctx.u(-0.05, 0.12) * unit,
        tool_angle(ctx) if item_noun in ("knife", "spoon", "fork") else ctx.u(0, 6.3),
    )
    tr = item.track
    inner = max(rec.shape.inner, 0.3 * rec.shape.size)
    ang = ctx.u(0, 2 * math.pi)
    dest = (rx + 0.35 * inner * math.cos(ang), ry + 0.35 * inner * math.sin(ang))
    x0, y0 = tr.x[0], tr.y[0]
    mid = ((x0 + dest[0]) / 2, min(y0, dest[1]) - 0.04 * unit)
    times = [0.3, 0.46, 0.68, 0.78]
    tr.x[:] = keyframes(t, times, [x0, mid[0], dest[0], dest[0]])
    tr.y[:] = keyframes(t, times, [y0, mid[1], dest[1], dest[1]])
    tr.scale[:] = keyframes(t, times, [1.0, 1.14, 1.12, 1.0])
    tr.angle[:] = keyframes(t, [0.3, 0.78], [tr.angle[0], tr.angle[0] + ctx.u(-0.6, 0.6)])
    holds = [hold(ctx, [rec, item], 1, ctx.acting, 0.26, 0.8)]
    prep = "on" if rec_noun in ("plate", "chopping board") else "into"
    narr = f"put {item_noun} {prep} {rec_noun}"
    return Plan("put", narr, f"put-{prep}", item_noun, [item_noun, rec_noun], [rec, item], holds)


def plan_pour(ctx: Context) -> Plan:
    """Pour a liquid from a cup, glass or bottle into a bowl or pan."""
    sgn, t, unit = ctx.sgn, ctx.t, ctx.unit
    src_noun = str(ctx.rng.choice(("cup", "glass", "bottle")))
    dst_noun = str(ctx.rng.choice(("bowl", "pan", "bowl")))
    liquid = str(ctx.rng.choice(LIQUIDS))
    colour = ctx.content_colour(liquid)
    dst = still(
        ctx,
        dst_noun,
        ctx.width * (0.5 - sgn * ctx.u(0.0, 0.1)),
        ctx.height * ctx.u(0.32, 0.48),
        ctx.u(-0.4, 0.4) + (math.pi if sgn > 0 else 0),
        content=colour,
        content_role="fill",
    )
    dx0, dy0 = dst.track.x[0], dst.track.y[0]
    src = still(
        ctx,
        src_noun,
        dx0 + sgn * (dst.shape.model.radius + ctx.u(0.12, 0.2) * unit),
        dy0 + ctx.u(-0.02, 0.12) * unit,
        tool_angle(ctx) if src_noun == "bottle" else ctx.u(0, 6.3),
        content=None if src_noun == "bottle" else colour,
        content_role="fill",
    )
    dst.track.fill[:] = keyframes(t, [0.55, 0.86], [0.0, ctx.u(0.7, 0.95)])
    tr = src.track
    x0, y0, a0 = tr.x[0], tr.y[0], tr.angle[0]
    pour_at = np.array(
        [dx0 + sgn * (dst.shape.size * 0.8 + src.shape.size * 0.55), dy0 - 0.06 * unit]
    )
    toward = np.array([dx0, dy0]) - pour_at
    a_pour = math.atan2(toward[1], toward[0])
    if src_noun != "bottle":  # a cup pours over the rim opposite its handle: lip at -u
        a_pour += math.pi
    a_pour = a0 + (a_pour - a0 + math.pi) % (2 * math.pi) - math.pi
    times = [0.26, 0.45, 0.55, 0.85, 0.95]
    tr.x[:] = keyframes(t, times, [x0, pour_at[0], pour_at[0], pour_at[0], pour_at[0]])
    tr.y[:] = keyframes(t, times, [y0, pour_at[1], pour_at[1], pour_at[1], pour_at[1]])
    tr.angle[:] = keyframes(t, times[:2], [a0, a_pour])
    tr.squash[:] = keyframes(t, times, [1.0, 1.0, 0.78, 0.78, 1.0])
    tr.scale[:] = keyframes(t, times, [1.0, 1.12, 1.1, 1.1, 1.08])
    if src_noun != "bottle":
        tr.fill[:] = keyframes(t, [0.55, 0.86], [1.0, 0.35])
    holds = [hold(ctx, [dst, src], 1, ctx.acting, 0.22, 1.0)]
    holds[0].rotate = src_noun == "bottle"  # a cup turns under the hand, the hand stays put
    if ctx.rng.random() < 0.5:
        holds.append(hold(ctx, [dst, src], 0, ctx.other, 0.12, 1.0, "rim"))
    stream_w = 0.012 * unit

    def extras(i: int) -> list[tuple[Model, Pose]]:
        if not 0.57 <= t[i] <= 0.85:
            return []
        lip = np.array(src.shape.lip) * np.array([tr.scale[i], tr.scale[i] * tr.squash[i]])
        ca, sa = math.cos(tr.angle[i]), math.sin(tr.angle[i])
        p0 = np.array([tr.x[i] + ca * lip[0] - sa * lip[1], tr.y[i] + sa * lip[0] + ca * lip[1]])
        p1 = np.array([dx0, dy0]) + (p0 - np.array([dx0, dy0])) * 0.25
        length = float(np.hypot(*(p1 - p0)))
        prim = Prim("capsule", (0, 0, length, 0, stream_w, stream_w * 1.4), colour, None, "edge")
        ang = math.atan2(p1[1] - p0[1], p1[0] - p0[0])
        return [(Model([prim], length + 3 * stream_w), Pose(p0[0], p0[1], ang))]

    r = ctx.rng.random()
    if r < 0.4:
        narr, nouns = f"pour {liquid} into {dst_noun}", [liquid, dst_noun]
    elif r < 0.75:
        narr, nouns = f"pour {liquid} from {src_noun} into {dst_noun}", [liquid, src_noun, dst_noun]
    else:
        narr, nouns = f"pour {liquid}", [liquid]
    return Plan("pour", narr, "pour", liquid, nouns, [dst, src], holds, extras)


def plan_stir(ctx: Context) -> Plan:
    """Stir the contents of a bowl or pan with a spoon or spatula."""
    sgn, t, unit = ctx.sgn, ctx.t, ctx.unit
    cont_noun = str(ctx.rng.choice(("bowl", "pan")))
    tool_noun = "spoon" if cont_noun == "bowl" or ctx.rng.random() < 0.5 else "spatula"
    food = str(ctx.rng.choice(STIRRABLE))
    held = ctx.rng.random() < 0.6
    ang = (math.pi / 2 + sgn * ctx.u(0.3, 0.7)) if cont_noun == "pan" else ctx.u(0, 6.3)
    cont = still(
        ctx,
        cont_noun,
        ctx.width * (0.5 - sgn * ctx.u(0.0, 0.08)),
        ctx.height * ctx.u(0.32, 0.46),
        ang,
        content=ctx.content_colour(food),
    )
    cx, cy = cont.track.x[0], cont.track.y[0]
    tool = still(
        ctx,
        tool_noun,
        cx + sgn * (cont.shape.size + ctx.u(0.14, 0.2) * unit),
        cy + ctx.u(0.0, 0.12) * unit,
        tool_angle(ctx),
    )
    tr = tool.track
    x0, y0, a0 = tr.x[0], tr.y[0], tr.angle[0]
    a_stir = -math.pi / 2 - sgn * ctx.u(0.4, 0.9)
    head = np.array(tool.shape.head)
    rad = 0.4 * cont.shape.inner
    revs = ctx.u(1.5, 3.0)
    phi = 2 * math.pi * revs * np.clip((t - 0.45) / 0.5, 0, 1) * (-sgn)
    hx = cx + rad * np.cos(phi)
    hy = cy + rad * np.sin(phi)
    ca, sa = math.cos(a_stir), math.sin(a_stir)
    sx = hx - (ca * head[0] - sa * head[1])
    sy = hy - (sa * head[0] + ca * head[1])
    i45 = ctx.frame_at(0.45)
    tr.x[:] = keyframes(t, [0.3, 0.45], [x0, sx[i45]])
    tr.y[:] = keyframes(t, [0.3, 0.45], [y0, sy[i45]])
    stir = t > 0.45
    tr.x[stir], tr.y[stir] = sx[stir], sy[stir]
    tr.angle[:] = keyframes(t, [0.3, 0.45], [a0, a_stir])
    tr.scale[:] = keyframes(t, [0.3, 0.38, 0.45], [1.0, 1.1, 1.0])
    cont.track.phase[:] = phi * 0.6
    holds = [hold(ctx, [cont, tool], 1, ctx.acting, 0.26, 1.0)]
    if held:
        if cont_noun == "pan":
            other = Hold(ctx.other, 0, 0.12, 1.0, (1.6 * cont.shape.size, 0.0))
        else:
            other = hold(ctx, [cont, tool], 0, ctx.other, 0.12, 1.0, "rim")
        holds.append(other)
    r = ctx.rng.random()
    if r < 0.45:
        narr, nouns = f"stir {food}", [food]
    elif r < 0.75:
        narr, nouns = f"stir {food} with {tool_noun}", [food, tool_noun]
    else:
        narr, nouns = f"stir {food} in {cont_noun}", [food, cont_noun]
    return Plan("stir", narr, "stir", food, nouns, [cont, tool], holds)


def plan_open(ctx: Context) -> Plan:
    """Hold a jar and unscrew its lid with the other hand."""
    sgn, t, unit = ctx.sgn, ctx.t, ctx.unit
    filling = str(ctx.rng.choice(("jam", "honey", "pickles", "sauce")))
    colour = {
        "jam": (150, 20, 40),
        "honey": (230, 160, 30),
        "pickles": (120, 150, 50),
        "sauce": (170, 35, 25),
    }[filling]
    jar = still(
        ctx,
        "jar",
        ctx.width * (0.5 - sgn * ctx.u(0.0, 0.08)),
        ctx.height * ctx.u(0.35, 0.5),
        0.0,
        content=colour,
    )
    lid = ctx.make_shape("lid", size=jar.shape.size * 0.9)  # the jar shows as a ring
    jx, jy = jar.track.x[0], jar.track.y[0]
    lid_p = Planned("lid", lid, ObjectTrack.still(ctx.n, jx, jy, ctx.u(0, 6.3)))
    tr = lid_p.track
    a0 = tr.angle[0]
    twist = [a0, a0 - 0.7, a0 - 0.3, a0 - 1.0, a0 - 0.6, a0 - 1.3]
    tr.angle[:] = keyframes(t, np.linspace(0.36, 0.66, len(twist)), twist)
    away = (jx + sgn * ctx.u(0.16, 0.24) * unit, jy + ctx.u(-0.06, 0.06) * unit)
    tr.x[:] = keyframes(t, [0.68, 0.9], [jx, away[0]])
    tr.y[:] = keyframes(t, [0.68, 0.9], [jy, away[1]])
    tr.scale[:] = keyframes(t, [0.66, 0.78, 0.9], [1.0, 1.14, 1.1])
    objs = [jar, lid_p]
    holds = [
        hold(ctx, objs, 0, ctx.other, 0.18, 1.0, "over", 0.2),
        hold(ctx, objs, 1, ctx.acting, 0.34, 1.0, "over", 0.26),
    ]
    # the lid hand's fingertips reach the lid's centre, leaving its far half in view
    to = np.array([jx, jy]) - ctx.base[ctx.acting]
    d = to / np.hypot(*to)
    holds[1].offset = local_offset(tr, 0, np.array([jx, jy]) - d * (1.2 * ctx.hand_size))
    # the jar hand grips the jar's side
    hs = ctx.hand_size
    to = np.array([jx, jy]) - ctx.base[ctx.other]
    d = to / np.hypot(*to)
    holds[0].offset = local_offset(
        jar.track, 0, np.array([jx, jy]) - d * (jar.shape.size + 0.7 * hs)
    )
    if ctx.rng.random() < 0.6:
        narr, verb, noun, nouns = "open jar", "open", "jar", ["jar"]
    else:
        narr, verb, noun, nouns = "remove lid from jar", "remove", "lid", ["lid", "jar"]
    return Plan("open", narr, verb, noun, nouns, objs, holds)


def plan_wash(ctx: Context) -> Plan:
    """Hold a dirty plate or bowl and wipe it clean with a sponge."""
    sgn, t, unit = ctx.sgn, ctx.t, ctx.unit
    dish_noun = str(ctx.rng.choice(("plate", "bowl", "plate")))
    dish = still(
        ctx,
        dish_noun,
        ctx.width * (0.5 - sgn * ctx.u(0.0, 0.08)),
        ctx.height * ctx.u(0.32, 0.46),
        ctx.u(0, 6.3),
        dirty=True,
    )
    dx0, dy0 = dish.track.x[0], dish.track.y[0]
    sponge = still(
        ctx,
        "sponge",
        dx0 + sgn * (dish.shape.size + ctx.u(0.13, 0.2) * unit),
        dy0 + ctx.u(0.0, 0.12) * unit,
        ctx.u(-0.5, 0.5),
    )
    dish.track.dirt[:] = keyframes(t, [0.45, 0.9], [1.0, 0.0])
    tr = sponge.track
    x0, y0 = tr.x[0], tr.y[0]
    rad = 0.45 * max(dish.shape.inner, 0.5 * dish.shape.size)
    phi = 2 * math.pi * ctx.u(1.5, 2.5) * np.clip((t - 0.42) / 0.5, 0, 1)
    wx = dx0 + rad * np.sin(phi)
    wy = dy0 + 0.6 * rad * np.sin(2 * phi)
    i42 = ctx.frame_at(0.42)
    tr.x[:] = keyframes(t, [0.3, 0.42], [x0, wx[i42]])
    tr.y[:] = keyframes(t, [0.3, 0.42], [y0, wy[i42]])
    wipe = t > 0.42
    tr.x[wipe], tr.y[wipe] = wx[wipe], wy[wipe]
    tr.angle[:] = tr.angle[0] + 0.3 * np.sin(phi)
    objs = [dish, sponge]
    holds = [
        hold(ctx, objs, 1, ctx.acting, 0.26, 1.0),
        hold(ctx, objs, 0, ctx.other, 0.1, 1.0, "rim"),
    ]
    r = ctx.rng.random()
    if r < 0.35:
        narr, verb, nouns = f"wash {dish_noun}", "wash", [dish_noun]
    elif r < 0.7:
        narr, verb, nouns = f"wipe {dish_noun}", "wipe", [dish_noun]
    else:
        narr, verb, nouns = f"wash {dish_noun} with sponge", "wash", [dish_noun, "sponge"]
    return Plan("wash", narr, verb, dish_noun, nouns, objs, holds)


TEMPLATES: dict[str, Callable[[Context], Plan]] = {
    "cut": plan_cut,
    "pick-up": plan_pick_up,
    "put": plan_put,
    "pour": plan_pour,
    "stir": plan_stir,
    "open": plan_open,
    "wash": plan_wash,
}
