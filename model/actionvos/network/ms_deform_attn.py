"""Multi-scale deformable attention (Deformable DETR) in pure PyTorch, CPU and CUDA.

Two interchangeable samplers compute the same bilinear, zero-padded sampling:

* ``"grid"``: ``F.grid_sample`` per level on normalised locations (the reference
  formulation; it gathers 32 channels that lie a whole map apart in memory for every corner).
* ``"bag"``: sampling positions are computed directly in pixels of each level, and the four
  bilinear corners of every point become weighted rows of one ``F.embedding_bag`` call over
  the value table [B*S*M, D]; each row is 32 contiguous floats and no per-point value tensor
  is materialised. Faster on CPU (see ``bench/ms_deform_attn.py``) and lighter on memory.
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


def _sizes(shapes: list[tuple[int, int]], dtype: torch.dtype, device: torch.device) -> Tensor:
    """[L, 2] (w, h) per level."""
    return torch.tensor([[w, h] for h, w in shapes], dtype=dtype, device=device)


def pixel_positions(
    reference: Tensor, off_x: Tensor, off_y: Tensor, shapes: list[tuple[int, int]], n_points: int
) -> tuple[Tensor, Tensor]:
    """Sampling positions in pixels of each level, shifted by +1: two [B,Lq,M,L,P] tensors.

    Pixel (i, j) of a level has its centre at (j + 1, i + 1), i.e. ``loc * (W, H) + 0.5`` for
    the upstream normalised location ``loc``; the +1 matches the one-pixel zero border of the
    padded value table. Per-query terms are formed on the small reference tensor.
    """
    size = _sizes(shapes, off_x.dtype, off_x.device)  # [L, 2] (w, h)
    if reference.shape[-1] == 2:
        # loc = ref + off / (W, H)
        base = (reference * size + 0.5)[:, :, None, :, None, :]
        return off_x + base[..., 0], off_y + base[..., 1]
    if reference.shape[-1] == 4:
        # loc = ref_xy + off / P * ref_wh / 2
        base = (reference[..., :2] * size + 0.5)[:, :, None, :, None, :]
        scale = (reference[..., 2:] * size * (0.5 / n_points))[:, :, None, :, None, :]
        px = torch.addcmul(base[..., 0], off_x, scale[..., 0])
        return px, torch.addcmul(base[..., 1], off_y, scale[..., 1])
    raise ValueError(f"reference points must end in 2 or 4, got {tuple(reference.shape)}")


def padded_table(value: Tensor, shapes: list[tuple[int, int]]) -> tuple[Tensor, list[int]]:
    """Value maps with a zero border (1 before, 2 after) per level, head-major.

    Returns the table [B*M*S', D] and the level offsets inside S'. The border makes every
    bilinear corner of a position clamped to [0, W+1] x [0, H+1] a valid row: corners that fall
    outside the real map read zeros, which is ``grid_sample``'s zero padding.
    """
    b, _, m, d = value.shape
    sizes = [(h + 3) * (w + 3) for h, w in shapes]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    table = value.new_zeros(b, m, sum(sizes), d)
    src = 0
    for (h, w), dst in zip(shapes, starts, strict=True):
        level = value[:, src : src + h * w].view(b, h, w, m, d).permute(0, 3, 1, 2, 4)
        table[:, :, dst : dst + (h + 3) * (w + 3)].view(b, m, h + 3, w + 3, d)[
            :, :, 1 : h + 1, 1 : w + 1
        ] = level
        src += h * w
    return table.view(-1, d), starts


def _bag_rows(
    shapes: list[tuple[int, int]],
    starts: list[int],
    plane: int,
    px: Tensor,
    py: Tensor,
    attn: Tensor,
) -> tuple[Tensor, Tensor]:
    """Table rows and weights of the four bilinear corners of every sampling point.

    ``px``/``py`` [B,Lq,M,L,P] are shifted pixel positions (consumed: modified in place);
    ``starts``/``plane`` describe the padded table (rows per (frame, head) plane). Returns
    [B*Lq*M, 4*L*P] indices and weights (corners y0x0, y0x1, y1x0, y1x1 as the outer index).
    All work is on [B,Lq,M,L,P] arrays whose inner L*P elements are contiguous.
    """
    b, lq, m, levels, points = px.shape
    dev, dt = px.device, px.dtype
    idx_dtype = torch.int32 if b * m * plane < 2**31 else torch.int64
    size = _sizes(shapes, dt, dev)
    zero = torch.zeros(levels, 1, dtype=dt, device=dev)
    ix, iy = [], []
    for p, col in ((px, 0), (py, 1)):
        # Beyond the border every corner reads zeros, so clamping changes nothing but keeps
        # the low corner inside the table (truncation below is then a floor).
        torch.clamp(p, min=zero, max=size[:, col : col + 1] + 1, out=p)
        i = p.to(idx_dtype)
        p.sub_(i)  # p now holds the fraction towards the high corner
        (ix if col == 0 else iy).append(i)
    fx, fy = px, py
    weight = torch.empty(b, lq, m, 4, levels, points, dtype=dt, device=dev)
    hi = fy.mul_(attn)  # weight of the lower row (y1), attention included
    lo = attn - hi  # upper row (y0)
    torch.mul(fx, lo, out=weight[:, :, :, 1])
    torch.sub(lo, weight[:, :, :, 1], out=weight[:, :, :, 0])
    torch.mul(fx, hi, out=weight[:, :, :, 3])
    torch.sub(hi, weight[:, :, :, 3], out=weight[:, :, :, 2])
    del lo, hi
    width = (size[:, 0] + 3).to(idx_dtype)[:, None]  # padded widths [L, 1]
    start = torch.tensor(starts, dtype=idx_dtype, device=dev)[:, None]
    planes = torch.arange(b * m, dtype=idx_dtype, device=dev).view(b, 1, m, 1, 1) * plane
    row = iy[0].mul_(width).add_(ix[0]).add_(planes + start)
    rows = torch.empty(b, lq, m, 4, levels, points, dtype=idx_dtype, device=dev)
    rows[:, :, :, 0] = row
    torch.add(row, 1, out=rows[:, :, :, 1])
    torch.add(row, width, out=rows[:, :, :, 2])
    torch.add(rows[:, :, :, 2], 1, out=rows[:, :, :, 3])
    n_bags = b * lq * m
    return rows.view(n_bags, -1), weight.view(n_bags, -1)


def sample_bag(
    value: Tensor, shapes: list[tuple[int, int]], px: Tensor, py: Tensor, attn: Tensor
) -> Tensor:
    """value [B,S,M,D], shifted pixel positions px/py [B,Lq,M,L,P] (see
    :func:`pixel_positions`; modified in place), attn [B,Lq,M,L,P] -> [B,Lq,M*D]."""
    b, _, m, d = value.shape
    lq = px.shape[1]
    table, starts = padded_table(value, shapes)
    rows, weight = _bag_rows(shapes, starts, table.shape[0] // (b * m), px, py, attn)
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

    def normalised_locations(
        self, reference: Tensor, offsets: Tensor, shapes: list[tuple[int, int]]
    ) -> Tensor:
        """Upstream sampling locations in [0, 1] (used by the ``grid`` sampler)."""
        if reference.shape[-1] == 2:
            norm = _sizes(shapes, offsets.dtype, offsets.device)
            return reference[:, :, None, :, None, :] + offsets / norm[None, None, None, :, None]
        if reference.shape[-1] == 4:
            return (
                reference[:, :, None, :, None, :2]
                + offsets / self.n_points * reference[:, :, None, :, None, 2:] * 0.5
            )
        raise ValueError(f"reference points must end in 2 or 4, got {tuple(reference.shape)}")

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
        lq = query.shape[1]
        m, lv, p = self.n_heads, self.n_levels, self.n_points
        value = self.value_proj(value_in)
        if padding_mask is not None:
            value = value.masked_fill(padding_mask[..., None], 0.0)
        value = value.view(b, s, m, self.d_model // m)
        attn = self.attention_weights(query).view(b, lq, m, lv * p)
        attn = attn.softmax(-1).view(b, lq, m, lv, p)
        # The bag sampler works in place for speed and is inference-only; training
        # differentiates through grid_sample (the same sampling, within the fixture tolerances).
        sampler = "grid" if torch.is_grad_enabled() and self.sampler == "bag" else self.sampler
        if sampler == "bag":
            # Offsets with x and y in separate blocks: rows of the linear regrouped (x|y).
            w = self.sampling_offsets.weight.view(m, lv, p, 2, -1)
            w = w.permute(3, 0, 1, 2, 4).reshape(2 * m * lv * p, -1)
            bias = self.sampling_offsets.bias.view(m, lv, p, 2).permute(3, 0, 1, 2).reshape(-1)
            # Positions and weights in float32 even under half precision: a 16-bit pixel
            # coordinate near 100 is only good to ~0.06 px.
            off = F.linear(query, w, bias).float().view(b, lq, 2, m, lv, p)
            ref = reference.float()
            px, py = pixel_positions(ref, off[:, :, 0], off[:, :, 1], shapes, p)
            del off
            out = sample_bag(value, shapes, px, py, attn.float())
        elif sampler == "grid":
            offsets = self.sampling_offsets(query).view(b, lq, m, lv, p, 2)
            loc = self.normalised_locations(reference, offsets, shapes)
            out = sample_grid(value, shapes, loc, attn)
        else:
            raise ValueError(f"unknown sampler {self.sampler!r}; use one of {SAMPLERS}")
        return self.output_proj(out)
