"""Video Swin Transformer trunk (Video-Swin-B, patch (1,4,4), window (8,7,7)).

Unlike the image trunk it treats the T frames as one clip: attention windows span up to 8
frames, so frames mix inside the backbone. Outputs are the stage outputs *before* patch
merging, without output norms, with the merging layers under ``downsamples.{0,1,2}``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .swin import Mlp, PatchMerging, WindowAttention, shift_mask, window_partition, window_reverse

VIDEO_SWIN_CONFIGS = {
    "video_swin_b_p4w7": {"embed_dim": 128, "depths": (2, 2, 18, 2), "heads": (4, 8, 16, 32)},
}


def effective_window(
    dims: tuple[int, ...], window: tuple[int, ...], shift: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A dimension no larger than its window gets a window of its own size and no shift."""
    win, sh = list(window), list(shift)
    for i, d in enumerate(dims):
        if d <= window[i]:
            win[i] = d
            sh[i] = 0
    return tuple(win), tuple(sh)


class SwinBlock3D(nn.Module):
    def __init__(self, dim: int, heads: int, window: tuple[int, ...], shifted: bool) -> None:
        super().__init__()
        self.window = window
        self.shift = tuple(w // 2 for w in window) if shifted else (0, 0, 0)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 4 * dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x [B, D, H, W, C]."""
        b, d, h, w, c = x.shape
        win, shift = effective_window((d, h, w), self.window, self.shift)
        y = self.norm1(x)
        pads = [(-v) % ws for v, ws in zip((d, h, w), win, strict=True)]
        y = F.pad(y, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))
        padded = (d + pads[0], h + pads[1], w + pads[2])
        shifted = any(s > 0 for s in shift)
        if shifted:
            y = torch.roll(y, shifts=tuple(-s for s in shift), dims=(1, 2, 3))
        y = self.attn(window_partition(y, win), mask if shifted else None)
        y = window_reverse(y, win, b, padded)
        if shifted:
            y = torch.roll(y, shifts=shift, dims=(1, 2, 3))
        x = x + y[:, :d, :h, :w]
        return x + self.mlp(self.norm2(x))


class VideoSwinStage(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, window: tuple[int, ...]) -> None:
        super().__init__()
        self.window = window
        self.blocks = nn.ModuleList(
            SwinBlock3D(dim, heads, window, shifted=i % 2 == 1) for i in range(depth)
        )

    def forward(self, x: Tensor) -> Tensor:
        dims = tuple(x.shape[1:4])
        shift = tuple(w // 2 for w in self.window)
        win, shift = effective_window(dims, self.window, shift)
        padded = tuple(math.ceil(v / ws) * ws for v, ws in zip(dims, win, strict=True))
        mask = shift_mask(padded, win, shift, x.device).to(x.dtype)
        for blk in self.blocks:
            x = blk(x, mask)
        return x


class VideoSwinTrunk(nn.Module):
    """Frames [T,3,H,W] as one clip -> per-frame maps [T, C_i, h, w] at strides 4..32."""

    def __init__(self, name: str, window: tuple[int, int, int] = (8, 7, 7)) -> None:
        super().__init__()
        cfg = VIDEO_SWIN_CONFIGS[name]
        dim = cfg["embed_dim"]
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv3d(3, dim, (1, 4, 4), stride=(1, 4, 4))
        self.patch_embed.norm = nn.LayerNorm(dim)
        depths, heads = cfg["depths"], cfg["heads"]
        self.layers = nn.ModuleList(
            VideoSwinStage(dim * 2**i, depths[i], heads[i], window) for i in range(len(depths))
        )
        self.downsamples = nn.ModuleList(PatchMerging(dim * 2**i) for i in range(len(depths) - 1))
        self.num_channels = [dim * 2**i for i in range(len(depths))]

    def forward(self, frames: Tensor) -> list[Tensor]:
        h, w = frames.shape[-2:]
        x = F.pad(frames, (0, (-w) % 4, 0, (-h) % 4))
        x = x.permute(1, 0, 2, 3).unsqueeze(0)  # [1, 3, T, H, W]
        x = self.patch_embed.proj(x).permute(0, 2, 3, 4, 1)  # [1, T, h, w, C]
        x = self.patch_embed.norm(x)
        outs = []
        for i, stage in enumerate(self.layers):
            x = stage(x)
            outs.append(x[0].permute(0, 3, 1, 2).contiguous())
            if i < len(self.downsamples):
                x = self.downsamples[i](x)
        return outs
