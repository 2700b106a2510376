"""Rasterise simple textured shapes into a frame, exactly and fast.

Every object is a list of primitives (ellipse, rounded box, tapered capsule) in the object's
own coordinates, each with a colour, a texture and a shading rule. A primitive is drawn by
evaluating its signed distance at the pixel centres of its bounding box only, so a frame
costs a few vectorised numpy passes over small windows and the masks are exact (a pixel
belongs to an object iff its centre is inside), which the ground truth relies on.

Scene coordinates are the un-shaken frame's pixels; a frame is a window ``(x0, y0, h, w)``
into the scene, moved by the camera shake.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

Colour = tuple[float, float, float]


@dataclass
class Texture:
    """A multiplicative brightness pattern in object coordinates (so it moves with the object).

    ``kind``: "noise" (smooth blotches), "stripes", "wood" (wavy stripes), "gradient",
    or "spots" (dark speckles).
    """

    kind: str
    strength: float = 0.15
    period: float = 6.0
    angle: float = 0.0
    grid: np.ndarray | None = None  # small random grid sampled by the noise-based kinds


@dataclass
class Prim:
    """One primitive of an object, in object-local pixels (before the object's scale).

    geom: ellipse (cx, cy, a, b); box (cx, cy, hw, hh, r); capsule (x0, y0, x1, y1, r0, r1).
    role: "" plain; "fill" scaled by the state's ``fill`` (a rising liquid); "dirt" alpha times
    the state's ``dirt``; "swirl" texture turned by the state's ``phase`` (stirred contents).
    solid=False prims colour the object but do not add to its mask.
    """

    kind: str
    geom: tuple[float, ...]
    colour: Colour
    texture: Texture | None = None
    shade: str = "edge"  # "edge" darkens the rim, "dome" lights a round body, "flat" nothing
    role: str = ""
    solid: bool = True
    alpha: float = 1.0


@dataclass
class Model:
    """A drawable object: primitives painted in order; ``radius`` bounds them."""

    prims: list[Prim]
    radius: float = 0.0
    layer: int = 3

    def __post_init__(self) -> None:
        # never trust a hand-written bound: the rasteriser clips everything outside it
        self.radius = max(self.radius, *(_reach(p) for p in self.prims))


def _reach(prim: Prim) -> float:
    """Distance from the object's origin to the farthest point of a primitive."""
    g = prim.geom
    if prim.kind == "ellipse":
        return math.hypot(g[0], g[1]) + max(g[2], g[3])
    if prim.kind == "box":
        return math.hypot(abs(g[0]) + g[2], abs(g[1]) + g[3])
    return max(math.hypot(g[0], g[1]) + g[4], math.hypot(g[2], g[3]) + g[5])


@dataclass
class Pose:
    """Where and how an object is drawn in one frame, plus the per-frame appearance knobs."""

    x: float
    y: float
    angle: float = 0.0
    scale: float = 1.0
    squash: float = 1.0  # scale of the local v axis (a tilted cup looks narrower)
    fill: float = 1.0
    dirt: float = 1.0
    phase: float = 0.0
    gap: float = 0.0  # width of a cut; the part beyond the cut line is shifted by it
    split: tuple[float, float, float] | None = None  # (nx, ny, offset) of the cut line


# --------------------------------------------------------------------------- distances


def _sdf(prim: Prim, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    g = prim.geom
    if prim.kind == "ellipse":
        cx, cy, a, b = g
        k = np.sqrt(((u - cx) / a) ** 2 + ((v - cy) / b) ** 2)
        return (k - 1.0) * min(a, b)
    if prim.kind == "box":
        cx, cy, hw, hh, r = g
        r = min(r, hw, hh)
        qx = np.abs(u - cx) - (hw - r)
        qy = np.abs(v - cy) - (hh - r)
        outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
        return outside + np.minimum(np.maximum(qx, qy), 0) - r
    if prim.kind == "capsule":
        x0, y0, x1, y1, r0, r1 = g
        bx, by = x1 - x0, y1 - y0
        px, py = u - x0, v - y0
        h = np.clip((px * bx + py * by) / max(bx * bx + by * by, 1e-9), 0.0, 1.0)
        return np.hypot(px - bx * h, py - by * h) - (r0 + (r1 - r0) * h)
    raise ValueError(f"unknown primitive {prim.kind!r}")


def _local_bounds(prim: Prim) -> tuple[float, float, float, float]:
    g = prim.geom
    if prim.kind == "ellipse":
        return g[0] - g[2], g[1] - g[3], g[0] + g[2], g[1] + g[3]
    if prim.kind == "box":
        return g[0] - g[2], g[1] - g[3], g[0] + g[2], g[1] + g[3]
    r = max(g[4], g[5])
    return min(g[0], g[2]) - r, min(g[1], g[3]) - r, max(g[0], g[2]) + r, max(g[1], g[3]) + r


# --------------------------------------------------------------------------- textures


def noise_grid(rng: np.random.Generator, n: int = 12) -> np.ndarray:
    """A small random grid in [-1, 1]; sampled bilinearly with wrap it gives smooth blotches."""
    return rng.uniform(-1.0, 1.0, size=(n, n)).astype(np.float32)


def _sample(grid: np.ndarray, u: np.ndarray, v: np.ndarray, period: float) -> np.ndarray:
    n = grid.shape[0]
    coords = np.stack([(v / period) % n, (u / period) % n])
    return ndimage.map_coordinates(grid, coords, order=1, mode="grid-wrap")


def _texture(tex: Texture, u: np.ndarray, v: np.ndarray, phase: float = 0.0) -> np.ndarray:
    a = tex.angle + phase
    ca, sa = math.cos(a), math.sin(a)
    s = u * ca + v * sa
    if tex.kind == "stripes":
        return 1.0 + tex.strength * np.sin(2 * math.pi * s / tex.period)
    if tex.kind == "gradient":
        return 1.0 + tex.strength * np.tanh(s / tex.period)
    rot_u, rot_v = s, -u * sa + v * ca
    if tex.kind == "wood":  # grain along u, gently wavy
        n = _sample(tex.grid, rot_u / 6.0, rot_v, tex.period * 3.0)
        return 1.0 + tex.strength * np.sin(2 * math.pi * (rot_v / tex.period + 0.6 * n))
    n = _sample(tex.grid, rot_u, rot_v, tex.period)
    if tex.kind == "noise":
        return 1.0 + tex.strength * n
    if tex.kind == "spots":
        return 1.0 - tex.strength * (n > 0.55)
    raise ValueError(f"unknown texture {tex.kind!r}")


# --------------------------------------------------------------------------- rasteriser


@dataclass
class Raster:
    """An object drawn into a window: its mask and colours in the sub-rectangle it covers."""

    y0: int  # offset of the sub-rectangle in the window
    x0: int
    mask: np.ndarray  # bool [h, w]
    rgb: np.ndarray  # float32 [h, w, 3], valid where mask


def _window_box(corners_x, corners_y, win, pad: float) -> tuple[int, int, int, int] | None:
    wx0, wy0, wh, ww = win
    bx0 = max(int(math.floor(min(corners_x) - pad)) - wx0, 0)
    by0 = max(int(math.floor(min(corners_y) - pad)) - wy0, 0)
    bx1 = min(int(math.ceil(max(corners_x) + pad)) - wx0 + 1, ww)
    by1 = min(int(math.ceil(max(corners_y) + pad)) - wy0 + 1, wh)
    if bx1 <= bx0 or by1 <= by0:
        return None
    return by0, bx0, by1, bx1


def rasterize(model: Model, pose: Pose, win: tuple[int, int, int, int]) -> Raster | None:
    """Draw ``model`` at ``pose`` into window ``win = (x0, y0, h, w)`` (scene coordinates).

    Returns None when nothing of it falls inside the window.
    """
    s = pose.scale
    r = model.radius * s * max(1.0, pose.squash) + abs(pose.gap) + 2
    box = _window_box([pose.x - r, pose.x + r], [pose.y - r, pose.y + r], win, 0)
    if box is None:
        return None
    by0, bx0, by1, bx1 = box
    h, w = by1 - by0, bx1 - bx0
    # pixel centres relative to the object's centre, along rows (ys) and columns (xs)
    ys = np.arange(h, dtype=np.float32) + (by0 + win[1] + 0.5 - pose.y)
    xs = np.arange(w, dtype=np.float32) + (bx0 + win[0] + 0.5 - pose.x)
    mask = np.zeros((h, w), dtype=bool)
    rgb = np.zeros((h, w, 3), dtype=np.float32)
    for prim in model.prims:
        _paint_prim(prim, pose, xs, ys, mask, rgb, model.radius * s)
    if not mask.any():
        return None
    return Raster(by0, bx0, mask, rgb)


def _prim_slice(prim: Prim, pose: Pose, xs: np.ndarray, ys: np.ndarray) -> tuple[slice, slice]:
    """Rows/columns of the object's grid that can hold this primitive (saves most work)."""
    lx0, ly0, lx1, ly1 = _local_bounds(prim)
    if prim.role == "fill":
        f = max(pose.fill, 0.0)
        lx0, ly0, lx1, ly1 = lx0 * f, ly0 * f, lx1 * f, ly1 * f
    ca, sa = math.cos(pose.angle), math.sin(pose.angle)
    s, sq = pose.scale, pose.scale * pose.squash
    cu = np.array([lx0, lx1, lx0, lx1])
    cv = np.array([ly0, ly0, ly1, ly1])
    cdx = ca * cu * s - sa * cv * sq
    cdy = sa * cu * s + ca * cv * sq
    pad = 1.5 + (pose.gap if pose.split is not None else 0.0)
    c0 = int(np.searchsorted(xs, cdx.min() - pad))
    c1 = int(np.searchsorted(xs, cdx.max() + pad))
    r0 = int(np.searchsorted(ys, cdy.min() - pad))
    r1 = int(np.searchsorted(ys, cdy.max() + pad))
    return slice(r0, r1), slice(c0, c1)


def _paint_prim(prim, pose, xs, ys, mask, rgb, rad) -> None:
    if prim.role == "fill" and pose.fill <= 0.02:
        return
    alpha = prim.alpha * (pose.dirt if prim.role == "dirt" else 1.0)
    if alpha <= 0.01:
        return
    rs, cs = _prim_slice(prim, pose, xs, ys)
    if rs.stop <= rs.start or cs.stop <= cs.start:
        return
    dx, dy = xs[None, cs], ys[rs, None]  # broadcast instead of building full grids
    keep = None
    if pose.split is not None and pose.gap > 0:
        dx, dy = np.broadcast_arrays(dx, dy)
        nx, ny, off = pose.split
        side = dx * nx + dy * ny - off * pose.scale
        moved = side > pose.gap
        keep = (side <= 0) | moved
        dx = np.where(moved, dx - pose.gap * nx, dx)
        dy = np.where(moved, dy - pose.gap * ny, dy)
    ca, sa = math.cos(pose.angle), math.sin(pose.angle)
    uu = (ca * dx + sa * dy) / pose.scale
    vv = (-sa * dx + ca * dy) / (pose.scale * pose.squash)
    if prim.role == "fill":
        d = _sdf(prim, uu / pose.fill, vv / pose.fill) * pose.fill
    else:
        d = _sdf(prim, uu, vv)
    inside = d <= 0
    if keep is not None:
        inside &= keep
    if not prim.solid:
        inside &= mask[rs, cs]
    if not inside.any():
        return
    col = np.asarray(prim.colour, dtype=np.float32)
    fac = np.ones(d.shape, dtype=np.float32)
    if prim.texture is not None:
        phase = pose.phase if prim.role == "swirl" else 0.0
        fac = fac * _texture(prim.texture, uu, vv, phase)
    if prim.shade == "edge":
        fac = fac * (1.0 - 0.28 * np.clip(1.0 + d / (2.5 / pose.scale), 0.0, 1.0))
    out = col[None, None, :] * fac[..., None]
    if prim.shade == "dome":
        nx, ny = dx / rad, dy / rad
        r2 = nx * nx + ny * ny
        out = out * (1.0 - 0.35 * np.clip(r2, 0, 1))[..., None]
        hl = 0.45 * np.exp(-((nx + 0.35) ** 2 + (ny + 0.4) ** 2) / 0.045)
        out = out + (255.0 - out) * hl[..., None]
    sub = rgb[rs, cs]
    if alpha < 1.0:
        sub[inside] = sub[inside] * (1 - alpha) + out[inside] * alpha
    else:
        sub[inside] = out[inside]
    if prim.solid:
        mask[rs, cs] |= inside


def paint(frame: np.ndarray, ras: Raster, labels: np.ndarray | None = None, label: int = 0):
    """Copy a raster onto a float frame (and its label into ``labels``)."""
    h, w = ras.mask.shape
    sl = (slice(ras.y0, ras.y0 + h), slice(ras.x0, ras.x0 + w))
    frame[sl][ras.mask] = ras.rgb[ras.mask]
    if labels is not None:
        labels[sl][ras.mask] = label


def cast_shadow(frame: np.ndarray, ras: Raster, dx: int, dy: int, strength: float = 0.22):
    """Darken the frame under ``ras`` moved by (dx, dy): a light from the upper left."""
    h, w = ras.mask.shape
    fh, fw = frame.shape[:2]
    y0, x0 = ras.y0 + dy, ras.x0 + dx
    ya, xa = max(y0, 0), max(x0, 0)
    yb, xb = min(y0 + h, fh), min(x0 + w, fw)
    if yb <= ya or xb <= xa:
        return
    m = ras.mask[ya - y0 : yb - y0, xa - x0 : xb - x0]
    frame[ya:yb, xa:xb][m] *= 1.0 - strength


# --------------------------------------------------------------------------- table


TABLE_STYLES = ("wood", "marble", "cloth", "laminate", "steel")
#: Table tops only the ``novel`` style uses (see ``styles.py``).
NOVEL_TABLE_STYLES = ("tile", "concrete")


def table_texture(
    rng: np.random.Generator, shape: tuple[int, int], style: str, base: Colour, unit: float
) -> np.ndarray:
    """A whole table top (float32 RGB) of ``shape`` in a given style and base colour."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)

    def smooth(cells: float) -> np.ndarray:
        gh, gw = max(2, int(h / cells) + 2), max(2, int(w / cells) + 2)
        g = rng.uniform(-1, 1, size=(gh, gw)).astype(np.float32)
        return ndimage.zoom(g, (h / (gh - 1), w / (gw - 1)), order=1)[:h, :w]

    base_arr = np.asarray(base, dtype=np.float32)
    if style == "wood":
        vertical = rng.random() < 0.5
        s, t = (xx, yy) if vertical else (yy, xx)  # grain runs along t
        hs, ht = (w, h) if vertical else (h, w)

        def streaks(across: float, along: float) -> np.ndarray:
            gs, gt = max(2, int(hs / across) + 2), max(2, int(ht / along) + 2)
            g = rng.uniform(-1, 1, size=(gt, gs)).astype(np.float32)
            z = ndimage.zoom(g, (ht / (gt - 1), hs / (gs - 1)), order=1)[:ht, :hs]
            return z if vertical else z.T

        warp = smooth(unit * 0.5)
        grain = np.sin(2 * math.pi * (s / (unit * rng.uniform(0.02, 0.035)) + 0.7 * warp))
        plank = unit * rng.uniform(0.3, 0.45)
        seam = (np.abs(((s + plank * 0.5) % plank) - plank * 0.5) < 0.8).astype(np.float32)
        plank_no = np.floor(s / plank)
        plank_shade = 0.07 * np.sin(plank_no * 2.7 + rng.uniform(0, 6))
        fac = (
            1.0
            + 0.035 * grain
            + 0.08 * streaks(unit * 0.012, unit * 0.4)
            + 0.04 * smooth(unit * 0.2)
            + plank_shade
            - 0.3 * seam
        )
        _ = t
    elif style == "marble":
        n = smooth(unit * 0.5) + 0.5 * smooth(unit * 0.12)
        veins = np.abs(np.sin(2 * math.pi * (xx + yy * 0.6) / (unit * 0.9) + 3.0 * n))
        fac = 1.0 - 0.12 * (veins < 0.12) + 0.04 * n
    elif style == "cloth":
        cell = unit * rng.uniform(0.08, 0.14)
        cx = (np.floor(xx / cell) % 2).astype(np.float32)
        cy = (np.floor(yy / cell) % 2).astype(np.float32)
        fac = 1.0 - 0.18 * (cx + cy) / 2 + 0.03 * smooth(unit * 0.02)
    elif style == "steel":
        ang = rng.uniform(0, math.pi)
        s = xx * math.cos(ang) + yy * math.sin(ang)
        brushed = smooth(unit * 0.6) * 0.05 + 0.04 * np.sin(s * 1.7 + 5 * smooth(unit * 0.3))
        fac = 1.0 + brushed
    elif style == "tile":  # square tiles, light grout, each tile a little different
        cell = unit * rng.uniform(0.16, 0.24)
        ix, iy = np.floor(xx / cell), np.floor(yy / cell)
        tile_shade = 0.06 * np.sin(ix * 12.9898 + iy * 78.233 + rng.uniform(0, 6))
        gx = np.abs(xx - (ix + 0.5) * cell) > cell * 0.5 - max(1.0, 0.012 * unit)
        gy = np.abs(yy - (iy + 0.5) * cell) > cell * 0.5 - max(1.0, 0.012 * unit)
        fac = 1.0 + tile_shade + 0.03 * smooth(unit * 0.05) + 0.45 * (gx | gy)
    elif style == "concrete":  # speckled, with large soft stains
        fine = rng.uniform(-1, 1, size=(h, w)).astype(np.float32)
        fac = 1.0 + 0.07 * fine + 0.08 * smooth(unit * 0.35) + 0.05 * smooth(unit * 0.06)
    else:  # laminate
        fac = 1.0 + 0.05 * smooth(unit * 0.3) + 0.02 * smooth(unit * 0.03)
    vignette = 1.0 - 0.12 * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2.0)
    out = base_arr[None, None, :] * (fac * vignette)[..., None]
    return np.clip(out, 0, 255).astype(np.float32)
