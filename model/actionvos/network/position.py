"""Sine position encodings (2-D for feature maps, 1-D for caption tokens).

Parameter-free, so they are plain functions; the formulas follow DETR's normalised variant that
the checkpoints were trained with (different offsets in 2-D and 1-D are intentional).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_SCALE = 2 * math.pi
_EPS = 1e-6


def _frequencies(num_feats: int, temperature: float, device: torch.device) -> Tensor:
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=device)
    return temperature ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / num_feats)


def _interleave(angles: Tensor) -> Tensor:
    """sin on even channels, cos on odd ones, paired per frequency: [..., F] -> [..., F]."""
    return torch.stack((angles[..., 0::2].sin(), angles[..., 1::2].cos()), dim=-1).flatten(-2)


def sine_2d(mask: Tensor, num_feats: int = 128, temperature: float = 10000.0) -> Tensor:
    """Encode a padding mask [B,H,W] (True = padding) as [B, 2*num_feats, H, W] (y then x)."""
    not_mask = ~mask
    y = not_mask.cumsum(1, dtype=torch.float32)
    x = not_mask.cumsum(2, dtype=torch.float32)
    y = (y - 0.5) / (y[:, -1:, :] + _EPS) * _SCALE
    x = (x - 0.5) / (x[:, :, -1:] + _EPS) * _SCALE
    dim_t = _frequencies(num_feats, temperature, mask.device)
    pos_y = _interleave(y[..., None] / dim_t)
    pos_x = _interleave(x[..., None] / dim_t)
    return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


def sine_1d(mask: Tensor, num_feats: int = 256, temperature: float = 10000.0) -> Tensor:
    """Encode a token padding mask [B,L] (True = padding) as [B, L, num_feats]."""
    x = (~mask).cumsum(1, dtype=torch.float32)
    x = x / (x[:, -1:] + _EPS) * _SCALE
    dim_t = _frequencies(num_feats, temperature, mask.device)
    return _interleave(x[..., None] / dim_t)
