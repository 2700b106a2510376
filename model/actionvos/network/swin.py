"""Image Swin Transformer trunk (Swin-L, patch 4, window 7) with the checkpoint's names.

Window helpers are written for any number of window dimensions so the video variant
(``video_swin.py``) shares them. Zero-padded tokens take part in window attention unmasked and
shifted windows get the -100 region mask: both as in the released models.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

SWIN_CONFIGS = {
    "swin_l_p4w7": {"embed_dim": 192, "depths": (2, 2, 18, 2), "heads": (6, 12, 24, 48)},
}


def relative_position_index(window: tuple[int, ...]) -> Tensor:
    """[N, N] index into the bias table for every pair of positions in a window."""
    coords = torch.stack(torch.meshgrid(*[torch.arange(w) for w in window], indexing="ij"))
    flat = coords.flatten(1)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0)
    index = torch.zeros(rel.shape[:2], dtype=torch.long)
    for i, w in enumerate(window):
        stride = math.prod(2 * v - 1 for v in window[i + 1 :])
        index += (rel[..., i] + w - 1) * stride
    return index


def window_partition(x: Tensor, window: tuple[int, ...]) -> Tensor:
    """[B, *dims, C] (dims divisible by window) -> [B*nW, prod(window), C]."""
    b, *dims, c = x.shape
    k = len(window)
    split = [v for d, w in zip(dims, window, strict=True) for v in (d // w, w)]
    x = x.view(b, *split, c)
    order = [0] + [1 + 2 * i for i in range(k)] + [2 + 2 * i for i in range(k)] + [2 * k + 1]
    return x.permute(*order).reshape(-1, math.prod(window), c)


def window_reverse(windows: Tensor, window: tuple[int, ...], b: int, dims: tuple[int, ...]):
    """Inverse of :func:`window_partition` -> [B, *dims, C]."""
    k = len(window)
    counts = [d // w for d, w in zip(dims, window, strict=True)]
    x = windows.view(b, *counts, *window, -1)
    order = [0] + [v for i in range(k) for v in (1 + i, 1 + k + i)] + [2 * k + 1]
    return x.permute(*order).reshape(b, *dims, -1)


def shift_mask(
    padded: tuple[int, ...], window: tuple[int, ...], shift: tuple[int, ...], device
) -> Tensor:  # noqa: ANN001
    """[nW, N, N] additive mask (0 / -100) separating regions that a cyclic shift joined."""
    img = torch.zeros((1, *padded, 1), device=device)
    slices = [
        (slice(0, -w), slice(-w, -s), slice(-s, None)) for w, s in zip(window, shift, strict=True)
    ]
    for cnt, region in enumerate(itertools.product(*slices)):
        img[(slice(None), *region, slice(None))] = cnt
    win = window_partition(img, window).squeeze(-1)
    diff = win.unsqueeze(1) - win.unsqueeze(2)
    return torch.zeros_like(diff).masked_fill(diff != 0, -100.0)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows with a learned relative position bias."""

    def __init__(self, dim: int, window: tuple[int, ...], heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.window = window
        table = math.prod(2 * w - 1 for w in window)
        self.relative_position_bias_table = nn.Parameter(torch.zeros(table, heads))
        self.register_buffer("relative_position_index", relative_position_index(window))
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """x [B*nW, N, C], mask [nW, N, N] or None."""
        bw, n, c = x.shape
        qkv = self.qkv(x).view(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        index = self.relative_position_index[:n, :n].reshape(-1)
        bias = self.relative_position_bias_table[index].view(n, n, -1).permute(2, 0, 1)
        bias = bias.unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            bias = (bias.unsqueeze(0) + mask[None, :, None]).expand(bw // nw, -1, -1, -1, -1)
            bias = bias.reshape(bw, self.heads, n, n)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias.to(x.dtype))
        return self.proj(out.transpose(1, 2).reshape(bw, n, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class SwinBlock(nn.Module):
    """Pre-norm (shifted) window attention + MLP on a [B, H, W, C] map."""

    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.window = window
        self.shift = shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, (window, window), heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        b, h, w, c = x.shape
        ws = self.window
        y = self.norm1(x)
        pad_b, pad_r = (-h) % ws, (-w) % ws
        y = F.pad(y, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = h + pad_b, w + pad_r
        if self.shift:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(1, 2))
        y = self.attn(window_partition(y, (ws, ws)), mask if self.shift else None)
        y = window_reverse(y, (ws, ws), b, (hp, wp))
        if self.shift:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(1, 2))
        x = x + y[:, :h, :w]
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    """2x2 neighbourhood concat (x00, x10, x01, x11), LayerNorm, linear 4C -> 2C."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        """x [..., H, W, C] -> [..., ceil(H/2), ceil(W/2), 2C]."""
        h, w = x.shape[-3:-1]
        if h % 2 or w % 2:
            x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        parts = (
            x[..., 0::2, 0::2, :],
            x[..., 1::2, 0::2, :],
            x[..., 0::2, 1::2, :],
            x[..., 1::2, 1::2, :],
        )
        return self.reduction(self.norm(torch.cat(parts, -1)))


class SwinStage(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, window: int, downsample: bool) -> None:
        super().__init__()
        self.window = window
        self.blocks = nn.ModuleList(
            SwinBlock(dim, heads, window, 0 if i % 2 == 0 else window // 2) for i in range(depth)
        )
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[1:3]
        ws = self.window
        padded = (math.ceil(h / ws) * ws, math.ceil(w / ws) * ws)
        mask = shift_mask(padded, (ws, ws), (ws // 2, ws // 2), x.device).to(x.dtype)
        for blk in self.blocks:
            x = blk(x, mask)
        return x


class SwinTrunk(nn.Module):
    """Per-frame Swin: outputs norm_i(stage_i) at strides 4/8/16/32."""

    def __init__(self, name: str, window: int = 7) -> None:
        super().__init__()
        cfg = SWIN_CONFIGS[name]
        dim = cfg["embed_dim"]
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, dim, 4, stride=4)
        self.patch_embed.norm = nn.LayerNorm(dim)
        self.layers = nn.ModuleList()
        for i, (depth, heads) in enumerate(zip(cfg["depths"], cfg["heads"], strict=True)):
            last = i == len(cfg["depths"]) - 1
            self.layers.append(SwinStage(dim * 2**i, depth, heads, window, not last))
        self.num_channels = [dim * 2**i for i in range(4)]
        for i, ch in enumerate(self.num_channels):
            self.add_module(f"norm{i}", nn.LayerNorm(ch))

    def forward(self, frames: Tensor) -> list[Tensor]:
        h, w = frames.shape[-2:]
        x = F.pad(frames, (0, (-w) % 4, 0, (-h) % 4))
        x = self.patch_embed.proj(x).permute(0, 2, 3, 1)
        x = self.patch_embed.norm(x)
        outs = []
        for i, stage in enumerate(self.layers):
            x = stage(x)
            outs.append(getattr(self, f"norm{i}")(x).permute(0, 3, 1, 2).contiguous())
            if stage.downsample is not None:
                x = stage.downsample(x)
        return outs
