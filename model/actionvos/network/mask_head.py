"""Dynamic mask head: each (frame, query) gets its own tiny 1x1-conv network from ``controller``.

Instead of copying the 256 mask-feature channels once per query (the upstream grouped
convolution), the first layer is split into a batched matmul over the shared features plus the
contribution of the two relative-coordinate channels; the result is the same linear map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def split_params(params: Tensor, in_ch: int, ch: int, layers: int) -> tuple[list, list]:
    """[..., P] -> weights [[..., out, in]] and biases [[..., out]], upstream order w*, b*."""
    outs = [ch] * (layers - 1) + [1]
    ins = [in_ch] + [ch] * (layers - 1)
    sizes = [o * i for o, i in zip(outs, ins, strict=True)] + outs
    parts = torch.split(params, sizes, dim=-1)
    lead = params.shape[:-1]
    weights = [p.reshape(*lead, o, i) for p, o, i in zip(parts[:layers], outs, ins, strict=True)]
    return weights, list(parts[layers:])


def locations(h: int, w: int, stride: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Pixel coordinates (x, y) of the centres of a stride-``stride`` map, each [h*w]."""
    xs = torch.arange(0, w * stride, step=stride, dtype=torch.float32, device=device)
    ys = torch.arange(0, h * stride, step=stride, dtype=torch.float32, device=device)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return gx.reshape(-1) + stride // 2, gy.reshape(-1) + stride // 2


def dynamic_masks(
    features: Tensor,
    params: Tensor,
    ref_xy: Tensor,
    image_size: tuple[int, int],
    channels: int,
    layers: int,
    rel_coord: bool = True,
    stride: int = 4,
) -> Tensor:
    """Mask logits [B, Q, h, w].

    features [B, C, h, w] (B = frames of all captions), params [B, Q, P] from the controller,
    ref_xy [B, Q, 2] normalised reference centres, image_size (H, W) of the network input.
    """
    b, c, h, w = features.shape
    q = params.shape[1]
    in_ch = c + (2 if rel_coord else 0)
    weights, biases = split_params(params, in_ch, channels, layers)
    w0 = weights[0]  # [B, Q, ch, in_ch]
    feats = features.permute(0, 2, 3, 1).reshape(b, h * w, c)  # view when channels-last
    x = torch.bmm(w0[..., :c].reshape(b, q * channels, c), feats.transpose(1, 2))
    x = x.view(b, q, channels, h * w)
    if rel_coord:
        img_h, img_w = image_size
        loc_x, loc_y = locations(h, w, stride, features.device)
        rel_x = ref_xy[..., 0:1] * img_w - loc_x  # [B, Q, h*w]
        rel_y = ref_xy[..., 1:2] * img_h - loc_y
        x = x + w0[..., c : c + 1] * rel_x[:, :, None] + w0[..., c + 1 : c + 2] * rel_y[:, :, None]
    x = F.relu(x + biases[0][..., None])
    for i in range(1, layers):
        x = torch.matmul(weights[i], x) + biases[i][..., None]
        if i < layers - 1:
            x = F.relu(x)
    return x.view(b, q, h, w)
