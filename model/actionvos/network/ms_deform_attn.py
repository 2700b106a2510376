"""Multi-scale deformable attention (Deformable DETR) in pure PyTorch, CPU and CUDA.

Two interchangeable samplers compute the same bilinear, zero-padded sampling:

* ``"grid"``: ``F.grid_sample`` per level (the reference formulation; materialises one
  [B*M, D, Lq, P] tensor per level).
* ``"bag"``: the four bilinear corners of every sampling point become weighted rows of one
  ``F.embedding_bag`` call, so the per-point values are never materialised. It is the default
  because it is faster on CPU (see ``bench/ms_deform_attn.py``) and lighter on memory.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

SAMPLERS = ("bag", "grid")


def sample_grid(value: Tensor, shapes: list[tuple[int, int]], loc: Tensor, attn: Tensor) -> Tensor:
    """value [B,S,M,D], loc [B,Lq,M,L,P,2] in [0,1], attn [B,Lq,M,L,P] -> [B,Lq,M*D]."""
    b, _, m, d = value.shape
    _, lq, _, levels, points, _ = loc.shape
    per_level = value.split([h * w for h, w in shapes], dim=1)
    grids = 2 * loc - 1
    sampled = []
    for lvl, (h, w) in enumerate(shapes):
        v = per_level[lvl].flatten(2).transpose(1, 2).reshape(b * m, d, h, w)
        g = grids[:, :, :, lvl].transpose(1, 2).flatten(0, 1)
        sampled.append(
            F.grid_sample(v, g, mode="bilinear", padding_mode="zeros", align_corners=False)
        )
    weights = attn.transpose(1, 2).reshape(b * m, 1, lq, levels * points)
    out = (torch.stack(sampled, dim=-2).flatten(-2) * weights).sum(-1)
    return out.view(b, m * d, lq).transpose(1, 2)


def _bag_rows(
    shapes: list[tuple[int, int]], starts: list[int], seq_len: int, loc: Tensor, attn: Tensor
) -> tuple[Tensor, Tensor]:
    """Rows of the flattened value table and their weights for every bilinear corner.

    Returns indices and weights shaped [B*Lq*M, L*P*4]; corners outside the map get weight 0
    (that is the zero padding) and a harmless in-range index.
    """
    b, lq, m, levels, points, _ = loc.shape
    dev, dt = loc.device, loc.dtype
    hw = torch.tensor(shapes, device=dev)
    h_i = hw[:, 0].view(1, 1, 1, levels, 1)
    w_i = hw[:, 1].view(1, 1, 1, levels, 1)
    start = torch.tensor(starts, device=dev).view(1, 1, 1, levels, 1)
    x = loc[..., 0] * w_i.to(dt) - 0.5
    y = loc[..., 1] * h_i.to(dt) - 0.5
    x0 = x.floor()
    y0 = y.floor()
    fx = x - x0
    fy = y - y0
    x0i = x0.long()
    y0i = y0.long()
    del x, y, x0, y0
    # corners in (x0,y0), (x0+1,y0), (x0,y0+1), (x0+1,y0+1) order
    cx = torch.stack((x0i, x0i + 1, x0i, x0i + 1), dim=-1)
    cy = torch.stack((y0i, y0i, y0i + 1, y0i + 1), dim=-1)
    gx = 1 - fx
    gy = 1 - fy
    wx = torch.stack((gx, fx, gx, fx), dim=-1)
    wy = torch.stack((gy, gy, fy, fy), dim=-1)
    inside = (cx >= 0) & (cx < w_i[..., None]) & (cy >= 0) & (cy < h_i[..., None])
    weight = wx.mul_(wy).mul_(attn[..., None]).mul_(inside)
    pos = start[..., None] + cy * w_i[..., None] + cx
    pos = torch.where(inside, pos, 0)
    frame = torch.arange(b, device=dev).view(b, 1, 1, 1, 1, 1) * seq_len
    head = torch.arange(m, device=dev).view(1, 1, m, 1, 1, 1)
    rows = (pos + frame) * m + head
    n_bags = b * lq * m
    return rows.view(n_bags, -1), weight.view(n_bags, -1)


def sample_bag(
    value: Tensor,
    shapes: list[tuple[int, int]],
    starts: list[int],
    loc: Tensor,
    attn: Tensor,
) -> Tensor:
    """Same contract as :func:`sample_grid`, computed with one ``embedding_bag``."""
    b, s, m, d = value.shape
    lq = loc.shape[1]
    rows, weight = _bag_rows(shapes, starts, s, loc, attn)
    if b * s * m < 2**31:
        rows = rows.int()
    table = value.reshape(b * s * m, d)
    out = F.embedding_bag(rows, table, per_sample_weights=weight.to(table.dtype), mode="sum")
    return out.view(b, lq, m * d)


class MSDeformAttn(nn.Module):
    """Deformable attention over 4 levels; parameter names match the official checkpoints."""

    def __init__(self, d_model: int = 256, n_levels: int = 4, n_heads: int = 8, n_points: int = 4):
        super().__init__()
        self.d_model = d_model
        self.n_levels = n_levels
        self.n_heads = n_heads
        self.n_points = n_points
        self.sampler = "bag"
        self.sampling_offsets = nn.Linear(d_model, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(d_model, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(d_model, d_model)
        self.output_proj = nn.Linear(d_model, d_model)

    def sampling(self, query: Tensor, reference: Tensor, shapes: list[tuple[int, int]]):
        """Sampling locations [B,Lq,M,L,P,2] and softmaxed weights [B,Lq,M,L,P]."""
        b, lq, _ = query.shape
        m, lv, p = self.n_heads, self.n_levels, self.n_points
        offsets = self.sampling_offsets(query).view(b, lq, m, lv, p, 2)
        attn = self.attention_weights(query).view(b, lq, m, lv * p)
        attn = attn.softmax(-1).view(b, lq, m, lv, p)
        if reference.shape[-1] == 2:
            norm = torch.tensor([[w, h] for h, w in shapes], dtype=query.dtype, device=query.device)
            loc = reference[:, :, None, :, None, :] + offsets / norm[None, None, None, :, None, :]
        elif reference.shape[-1] == 4:
            loc = (
                reference[:, :, None, :, None, :2]
                + offsets / p * reference[:, :, None, :, None, 2:] * 0.5
            )
        else:
            raise ValueError(f"reference points must end in 2 or 4, got {reference.shape}")
        return loc, attn

    def forward(
        self,
        query: Tensor,
        reference: Tensor,
        value_in: Tensor,
        shapes: list[tuple[int, int]],
        starts: list[int],
        padding_mask: Tensor | None = None,
    ) -> Tensor:
        """query [B,Lq,C], reference [B|1,Lq,L,2|4], value_in [B,S,C] -> [B,Lq,C]."""
        b, s, _ = value_in.shape
        value = self.value_proj(value_in)
        if padding_mask is not None:
            value = value.masked_fill(padding_mask[..., None], 0.0)
        value = value.view(b, s, self.n_heads, self.d_model // self.n_heads)
        loc, attn = self.sampling(query, reference, shapes)
        if self.sampler == "bag":
            out = sample_bag(value, shapes, starts, loc, attn)
        elif self.sampler == "grid":
            out = sample_grid(value, shapes, loc, attn)
        else:
            raise ValueError(f"unknown sampler {self.sampler!r}; use one of {SAMPLERS}")
        return self.output_proj(out)
