"""Small pieces every importer and exporter shares: reading JSON with a clear error, frame
numbers from file names, polygon rasterising, progress and cancel."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from actionvos.errors import Cancelled, InputError
from actionvos.formats.fields import as_int, as_number

Progress = Callable[[int, int, str], None]

MIN_POLYGON_POINTS = 3
_FRAME_NUMBER = re.compile(r"frame_(\d+)(?:\.\w+)?$")


def load_json(path: str | Path, what: str) -> Any:
    """Parse a JSON file; InputError naming the file and what it should be otherwise."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what} {path} is not valid JSON ({exc}); check the file") from None


def frame_number(name: str, where: str) -> int:
    """The number in ``frame_0000002521.jpg`` / ``P01_107_frame_0000000140.jpg``."""
    m = _FRAME_NUMBER.search(str(name))
    if m is None:
        raise InputError(f"{where}: cannot find a frame number in {name!r} (expected frame_N)")
    return as_int(m.group(1), where, "frame number")


def tick(progress: Progress | None, cancel: threading.Event | None, i: int, n: int, what: str):
    """Report progress and stop (raising Cancelled) when asked to."""
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"{what} was cancelled; nothing was changed")
    if progress is not None:
        progress(i, n, what)


def polygon_points(poly: Any, where: str, *, flat: bool) -> list[tuple[float, float]]:
    """Validate one polygon: ``[[x, y], ...]`` (VISOR) or ``[x0, y0, x1, y1, ...]`` (COCO).

    Any point count is returned (the caller decides what to do with fewer than 3 points);
    a point that is not a pair of finite numbers raises InputError naming it.
    """
    if not isinstance(poly, list):
        raise InputError(f"{where}: a polygon must be a list, got {type(poly).__name__}")
    if flat:
        if len(poly) % 2:
            raise InputError(f"{where}: a flat polygon needs an even count of numbers")
        pairs = [poly[i : i + 2] for i in range(0, len(poly), 2)]
    else:
        pairs = poly
    pts = []
    for j, p in enumerate(pairs):
        if not isinstance(p, list) or len(p) != 2:
            raise InputError(
                f"{where}: point {j} is {str(p)[:40]}; polygon points must be [x, y] pairs"
            )
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p):
            raise InputError(f"{where}: polygon points must be numbers; point {j} is {p!r}")
        pts.append((as_number(p[0], where, f"point {j} x"), as_number(p[1], where, f"point {j} y")))
    return pts


def drawable(polygon: Sequence[tuple[float, float]]) -> bool:
    """True when a polygon has an area to fill: three points or more."""
    return len(polygon) >= MIN_POLYGON_POINTS


def rasterise(
    polygons: Iterable[Sequence[tuple[float, float]]],
    height: int,
    width: int,
    scale: tuple[float, float] = (1.0, 1.0),
) -> np.ndarray:
    """Boolean mask of the union of polygons, filled with outline, no anti-aliasing.

    Points are scaled then truncated to integers as the official VISOR tools do (int32 cast
    before ``cv2.fillPoly``); polygons with fewer than 3 points have no area and are skipped.
    """
    img = Image.new("1", (width, height), 0)
    draw = ImageDraw.Draw(img)
    sx, sy = scale
    drawn = False
    for poly in polygons:
        if not drawable(poly):
            continue
        draw.polygon([(int(x * sx), int(y * sy)) for x, y in poly], fill=1, outline=1)
        drawn = True
    if not drawn:
        return np.zeros((height, width), dtype=bool)
    return np.asarray(img, dtype=bool)


@dataclass
class ImportReport:
    """What an import did, for the CLI and the widget to show."""

    frames: list[int] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    actions: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{len(self.frames)} frames, {len(self.objects)} objects, {len(self.actions)} actions"
        )
        if self.skipped:
            text += f"; skipped {len(self.skipped)}: " + "; ".join(self.skipped[:5])
            if len(self.skipped) > 5:
                text += "; ..."
        return text
