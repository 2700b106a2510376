"""Cross-modal FPN pixel decoder (ReferFormer ``CrossModalFPNDecoder``).

Maps are kept channels-last so a map [B*T, C, h, w] and its token sequence [B, T*h*w, C] are
the same memory. Self-attention runs over all T*h'*w' tokens of one caption (so frames of a
caption mix, captions never do). The stride-4 level's input and self-attention do not depend on
the caption: :meth:`CrossModalFPN.lateral_stride4` computes that once per clip.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .attention import attend, project
from .layers import ffn


class ConvNorm(nn.Conv2d):
    """Conv2d with a ``.norm`` GroupNorm child (detectron2 style names) and optional ReLU."""

    def __init__(self, cin: int, cout: int, k: int, groups: int = 8, relu: bool = False):
        super().__init__(cin, cout, k, padding=k // 2, bias=False)
        self.norm = nn.GroupNorm(groups, cout)
        self.relu = relu

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm(super().forward(x))
        return F.relu(x) if self.relu else x


def seq_to_map(seq: Tensor, t: int, h: int, w: int) -> Tensor:
    """[B, T*h*w, C] -> [B*T, C, h, w] channels-last view."""
    return seq.reshape(-1, h, w, seq.shape[-1]).permute(0, 3, 1, 2)


def map_to_seq(x: Tensor, t: int) -> Tensor:
    """[B*T, C, h, w] -> [B, T*h*w, C] (a view when ``x`` is channels-last)."""
    bt, c, h, w = x.shape
    return x.permute(0, 2, 3, 1).reshape(bt // t, t * h * w, c)


def nearest_index(h: int, w: int, size: tuple[int, int], device: torch.device) -> Tensor:
    """Flat indices F.interpolate(mode='nearest') picks when resizing (h,w) to ``size``."""
    grid = torch.arange(h * w, dtype=torch.float64, device=device).view(1, 1, h, w)
    return F.interpolate(grid, size=size, mode="nearest").view(-1).long()


class VisionLanguageBlock(nn.Module):
    """Post-norm block: (downsampled) self-attention, word cross-attention, FFN."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, sr_ratio: int) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.sr_ratio = sr_ratio

    def self_part(
        self, x: Tensor, pos: Tensor, t: int, h: int, w: int, mask: Tensor | None
    ) -> Tensor:
        """x [B,T*h*w,C], pos [T|1,h*w,C], mask [T,h*w] (True = pad) or None."""
        b, _, c = x.shape
        x4 = x.view(b, t, h * w, c)
        hh, ww = h, w
        if self.sr_ratio > 1:
            hh, ww = int(h / self.sr_ratio), int(w / self.sr_ratio)
            idx = nearest_index(h, w, (hh, ww), x.device)
            x4 = x4[:, :, idx]
            pos = pos[:, idx]
            if mask is not None:
                mask = mask[:, idx]
        v = x4.reshape(b, t * hh * ww, c)
        qk = (x4 + pos).view(b, t * hh * ww, c)
        mha = self.self_attn
        q, k = F.linear(qk, mha.in_proj_weight[: 2 * c], mha.in_proj_bias[: 2 * c]).chunk(2, -1)
        key_mask = None if mask is None else mask.reshape(1, -1).expand(b, -1)
        out = attend(mha, q, k, project(mha, v, 2), key_mask)
        if self.sr_ratio > 1:
            up = F.interpolate(
                seq_to_map(out, t, hh, ww), size=(h, w), mode="bilinear", align_corners=False
            )
            out = map_to_seq(up.contiguous(memory_format=torch.channels_last), t)
        return self.norm1(x + out)

    def text_part(
        self,
        x: Tensor,
        pos: Tensor,
        t: int,
        words: Tensor,
        word_pos: Tensor,
        word_mask: Tensor | None,
        max_rows: int,
    ) -> Tensor:
        """x [B|1,T*h*w,C] (B=1: shared by all captions) -> [N,T*h*w,C] for N = len(words)."""
        b, length, c = x.shape
        n = words.shape[0]
        mha = self.multihead_attn
        xq = x.view(b, t, -1, c) + pos
        q = project(mha, xq.view(b, length, c), 0)
        del xq
        k = project(mha, words + word_pos, 1)
        v = project(mha, words, 2)
        out = x.new_empty(n, length, c)
        for i in range(n):
            xi = x[i : i + 1] if b > 1 else x
            qi = q[i : i + 1] if b > 1 else q
            mi = None if word_mask is None else word_mask[i : i + 1]
            y = self.norm2(xi + attend(mha, qi, k[i : i + 1], v[i : i + 1], mi))
            out[i] = self.norm3(y + ffn(y, self.linear1, self.linear2, max_rows))
        return out


class CrossModalFPN(nn.Module):
    """Top-down FPN over res5..res2 with vision-language blocks; outputs stride-4 mask features."""

    def __init__(
        self, in_channels: list[int], conv_dim: int, mask_dim: int, dim_feedforward: int, nhead: int
    ) -> None:
        super().__init__()
        for k, cin in enumerate(in_channels, start=1):
            self.add_module(f"adapter_{k}", ConvNorm(cin, conv_dim, 1))
            self.add_module(f"layer_{k}", ConvNorm(conv_dim, conv_dim, 3, relu=True))
        self.mask_features = nn.Conv2d(conv_dim, mask_dim, 3, padding=1)
        for k, sr in enumerate((8, 4, 2, 1), start=1):
            block = VisionLanguageBlock(conv_dim, nhead, dim_feedforward, sr)
            self.add_module(f"cross_attn_{k}", block)
        self.max_rows = 1 << 16

    def lateral_stride4(self, res2: Tensor, pos: Tensor, t: int, mask: Tensor | None) -> Tensor:
        """Text-free part of the stride-4 level: adapter_1 + self-attention -> [1,T*h*w,C]."""
        _, _, h, w = res2.shape
        x = self.adapter_1(res2.contiguous(memory_format=torch.channels_last))
        x = map_to_seq(x.contiguous(memory_format=torch.channels_last), t)
        return self.cross_attn_1.self_part(x, pos, t, h, w, mask)

    def forward(
        self,
        memory_levels: list[Tensor],
        shapes: list[tuple[int, int]],
        lateral4: Tensor,
        shape4: tuple[int, int],
        pos: list[Tensor],
        masks: list[Tensor | None],
        t: int,
        words: Tensor,
        word_pos: Tensor,
        word_mask: Tensor | None,
    ) -> Tensor:
        """Mask features [N*T, mask_dim, h4, w4] (channels-last) for N captions.

        memory_levels: encoder memory of strides 8/16/32 as [N*T, h*w, C] sequences;
        pos/masks: res2..res5 position sequences [T|1, h*w, C] and padding masks [T, h*w].
        """
        y = None
        for k in (4, 3, 2):
            h, w = shapes[k - 2]
            adapter: ConvNorm = getattr(self, f"adapter_{k}")
            block: VisionLanguageBlock = getattr(self, f"cross_attn_{k}")
            lat = F.linear(memory_levels[k - 2], adapter.weight.flatten(1))
            lat = adapter.norm(seq_to_map(lat, t, h, w))
            x = map_to_seq(lat.contiguous(memory_format=torch.channels_last), t)
            x = block.self_part(x, pos[k - 1], t, h, w, masks[k - 1])
            x = block.text_part(x, pos[k - 1], t, words, word_pos, word_mask, self.max_rows)
            y = self._merge(getattr(self, f"layer_{k}"), seq_to_map(x, t, h, w), y)
        h, w = shape4
        x = self.cross_attn_1.text_part(
            lateral4, pos[0], t, words, word_pos, word_mask, self.max_rows
        )
        y = self._merge(self.layer_1, seq_to_map(x, t, h, w), y)
        return self.mask_features(y)

    @staticmethod
    def _merge(layer: ConvNorm, x: Tensor, y: Tensor | None) -> Tensor:
        if y is not None:
            x = x + F.interpolate(y, size=x.shape[-2:], mode="nearest")
        return layer(x.contiguous(memory_format=torch.channels_last))
