"""The embedding_bag sampler equals bilinear zero-padded sampling, point by point.

Ground truth is a direct per-point bilinear interpolation written with plain indexing, so the
test does not rely on either production sampler; the grid_sample sampler is checked too.
"""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from actionvos.network.ms_deform_attn import MSDeformAttn, sample_bag, sample_grid


def naive_sample(value, shapes, loc, attn):  # noqa: ANN001, ANN201
    """value [B,S,M,D], loc [B,Lq,M,L,P,2] in [0,1] -> [B,Lq,M*D] by explicit loops."""
    b, _, m, d = value.shape
    _, lq, _, levels, points, _ = loc.shape
    out = torch.zeros(b, lq, m, d, dtype=torch.float64)
    start = 0
    for lvl, (h, w) in enumerate(shapes):
        vmap = value[:, start : start + h * w].view(b, h, w, m, d).double()
        start += h * w
        for bi in range(b):
            for q in range(lq):
                for mi in range(m):
                    for p in range(points):
                        x = float(loc[bi, q, mi, lvl, p, 0]) * w - 0.5
                        y = float(loc[bi, q, mi, lvl, p, 1]) * h - 0.5
                        x0, y0 = math.floor(x), math.floor(y)
                        a = float(attn[bi, q, mi, lvl, p])
                        for cy, wy in ((y0, y0 + 1 - y), (y0 + 1, y - y0)):
                            for cx, wx in ((x0, x0 + 1 - x), (x0 + 1, x - x0)):
                                if 0 <= cx < w and 0 <= cy < h:
                                    out[bi, q, mi] += a * wy * wx * vmap[bi, cy, cx, mi]
    return out.view(b, lq, m * d)


def pixels(loc: torch.Tensor, shapes):  # noqa: ANN001, ANN201
    """Normalised locations -> the bag sampler's shifted pixel positions (x and y)."""
    size = torch.tensor([[w, h] for h, w in shapes], dtype=loc.dtype)
    xy = loc * size[:, None, :] + 0.5
    return xy[..., 0].contiguous(), xy[..., 1].contiguous()


@settings(max_examples=25, deadline=None)
@given(
    shapes=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 6)), min_size=1, max_size=3),
    heads=st.integers(1, 3),
    points=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_bag_sampler_matches_bilinear_zero_padding(shapes, heads, points, seed) -> None:
    g = torch.Generator().manual_seed(seed)
    b, lq, d = 2, 3, 4
    s = sum(h * w for h, w in shapes)
    value = torch.randn(b, s, heads, d, generator=g)
    # locations well outside the maps too: those corners must read zeros
    loc = torch.rand(b, lq, heads, len(shapes), points, 2, generator=g) * 1.8 - 0.4
    attn = torch.rand(b, lq, heads, len(shapes), points, generator=g)
    expected = naive_sample(value, shapes, loc, attn)
    px, py = pixels(loc, shapes)
    got = sample_bag(value, shapes, px, py, attn)
    torch.testing.assert_close(got.double(), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(
        sample_grid(value, shapes, loc, attn).double(), expected, rtol=1e-5, atol=1e-5
    )


def test_module_samplers_agree_with_boxes_and_padding() -> None:
    torch.manual_seed(0)
    mod = MSDeformAttn(64, 3, 4, 2).eval()
    shapes = [(7, 9), (4, 5), (2, 3)]
    starts = [0, 63, 83]
    s = 89
    query = torch.randn(2, 6, 64)
    value = torch.randn(2, s, 64)
    pad = torch.zeros(2, s, dtype=torch.bool)
    pad[1, 50:63] = True
    outs = {}
    for ref in (torch.rand(2, 6, 3, 2), torch.rand(2, 6, 3, 4)):
        for sampler in ("bag", "grid"):
            mod.sampler = sampler
            with torch.no_grad():
                outs[sampler] = mod(query, ref, value, shapes, starts, pad)
        torch.testing.assert_close(outs["bag"], outs["grid"], rtol=1e-5, atol=1e-5)


def test_far_out_of_range_offsets_give_zero_sampling() -> None:
    shapes = [(3, 4)]
    value = torch.randn(1, 12, 1, 2)
    loc = torch.tensor([1e6, -1e6]).view(1, 1, 1, 1, 1, 2).repeat(1, 1, 1, 1, 1, 1)
    attn = torch.ones(1, 1, 1, 1, 1)
    px, py = pixels(loc, shapes)
    assert sample_bag(value, shapes, px, py, attn).abs().max() == 0
