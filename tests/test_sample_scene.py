"""The rasteriser and the kitchen vocabulary the generator draws from."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actionvos.sample.scene import Model, Pose, Prim, rasterize
from actionvos.sample.shapes import build_shape
from actionvos.sample.vocabulary import CONTENT_NOUNS, NOUNS


def _full(model: Model, pose: Pose, h: int = 80, w: int = 100) -> np.ndarray:
    out = np.zeros((h, w), dtype=bool)
    ras = rasterize(model, pose, (0, 0, h, w))
    if ras is not None:
        mh, mw = ras.mask.shape
        out[ras.y0 : ras.y0 + mh, ras.x0 : ras.x0 + mw] = ras.mask
    return out


@settings(max_examples=30, deadline=None)
@given(
    a=st.floats(6, 25),
    b=st.floats(6, 25),
    angle=st.floats(0, math.pi),
    x=st.floats(35, 65),
    y=st.floats(30, 50),
)
def test_ellipse_area_and_pixel_centres(a, b, angle, x, y):
    model = Model([Prim("ellipse", (0, 0, a, b), (200, 0, 0))], max(a, b))
    mask = _full(model, Pose(x, y, angle))
    assert abs(mask.sum() - math.pi * a * b) < 0.08 * math.pi * a * b + 8
    # a pixel is in iff its centre is: check every pixel against the implicit equation
    yy, xx = np.mgrid[0:80, 0:100] + 0.5
    dx, dy = xx - x, yy - y
    u = math.cos(angle) * dx + math.sin(angle) * dy
    v = -math.sin(angle) * dx + math.cos(angle) * dy
    inside = (u / a) ** 2 + (v / b) ** 2 <= 1.0
    edge = np.abs(np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1.0) < 1e-3
    assert not (mask ^ inside)[~edge].any()


@settings(max_examples=20, deadline=None)
@given(split=st.integers(1, 79), shift_x=st.integers(-20, 20), shift_y=st.integers(-20, 20))
def test_windows_tile_exactly(split, shift_x, shift_y):
    """Drawing into two windows gives the same pixels as one window: shake stays exact."""
    model = Model(
        [
            Prim("box", (0, 0, 30, 12, 4), (0, 200, 0)),
            Prim("capsule", (-20, 0, 25, 10, 5, 2), (0, 0, 200)),
        ],
        35,
    )
    pose = Pose(50 + shift_x, 40 + shift_y, 0.4)
    whole = _full(model, pose)
    top = rasterize(model, pose, (0, 0, split, 100))
    bottom = rasterize(model, pose, (0, split, 80 - split, 100))
    pieced = np.zeros_like(whole)
    for ras, y_off in ((top, 0), (bottom, split)):
        if ras is not None:
            mh, mw = ras.mask.shape
            pieced[y_off + ras.y0 : y_off + ras.y0 + mh, ras.x0 : ras.x0 + mw] = ras.mask
    np.testing.assert_array_equal(pieced, whole)


@pytest.mark.parametrize("noun", sorted(NOUNS))
def test_every_noun_draws(noun):
    rng = np.random.default_rng(0)
    shape = build_shape(noun, rng, 240.0, NOUNS[noun].colours[0], content=(200, 100, 50))
    mask = _full(shape.model, Pose(150, 120, 0.3), 240, 300)
    area = mask.sum()
    assert area > 0.5 * shape.size**2 * (
        0.3 if NOUNS[noun].kind in ("knife", "spoon", "fork", "spatula") else 1.0
    )
    ys, xs = np.nonzero(mask)
    r = np.hypot(xs + 0.5 - 150, ys + 0.5 - 120).max()
    assert r <= shape.model.radius + 1.5, "the model's radius must bound what it draws"


def _epic_csv() -> Path | None:
    try:
        from actionvos_resources import path

        return path("vocabularies", "epic-kitchens", "EPIC_100_noun_classes.csv")
    except (ImportError, FileNotFoundError):
        return None


def test_class_ids_match_epic_100():
    csv_path = _epic_csv()
    if csv_path is None:
        pytest.skip("EPIC_100_noun_classes.csv is not installed in actionvos_resources")
    rows = list(csv.DictReader(csv_path.open()))
    by_key = {r["key"]: int(r["id"]) for r in rows}
    for noun in NOUNS.values():
        assert by_key[noun.epic_key] == noun.class_id, noun.name
    for noun, cid in CONTENT_NOUNS.items():
        assert by_key[noun] == cid, noun
