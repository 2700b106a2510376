"""Deformable DETR encoder/decoder as used by ReferFormer (post-norm, box refinement).

Frames are independent batch rows here: the encoder and decoder never mix frames, which is what
lets several captions share one batch of N*T rows. Text-independent inputs (position encoding,
reference points) may carry batch 1 or T and are broadcast to the N*T rows.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .attention import multihead_attention
from .layers import ffn, inverse_sigmoid
from .ms_deform_attn import MSDeformAttn


def add_per_frame(x: Tensor, y: Tensor) -> Tensor:
    """x [N*T, ...] + y [T or 1, ...] without materialising y N times."""
    if y.shape[0] in (1, x.shape[0]):
        return x + y
    t = y.shape[0]
    return (x.view(-1, t, *x.shape[1:]) + y).view(x.shape)


def repeat_frames(y: Tensor, rows: int) -> Tensor:
    """Broadcast a per-frame tensor [T or 1, ...] to ``rows`` = N*T rows (a view when T == 1)."""
    if y.shape[0] == rows:
        return y
    if y.shape[0] == 1:
        return y.expand(rows, *y.shape[1:])
    return y.repeat(rows // y.shape[0], *([1] * (y.dim() - 1)))


def encoder_reference_points(shapes: list[tuple[int, int]], valid_ratios: Tensor) -> Tensor:
    """Pixel centres of every level, scaled by valid ratios: [B, S, L, 2] (x, y)."""
    refs = []
    dev = valid_ratios.device
    for lvl, (h, w) in enumerate(shapes):
        ref_y, ref_x = torch.meshgrid(
            torch.linspace(0.5, h - 0.5, h, dtype=torch.float32, device=dev),
            torch.linspace(0.5, w - 0.5, w, dtype=torch.float32, device=dev),
            indexing="ij",
        )
        ref_y = ref_y.reshape(-1)[None] / (valid_ratios[:, None, lvl, 1] * h)
        ref_x = ref_x.reshape(-1)[None] / (valid_ratios[:, None, lvl, 0] * w)
        refs.append(torch.stack((ref_x, ref_y), -1))
    ref = torch.cat(refs, 1)
    return ref[:, :, None] * valid_ratios[:, None]


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, d_ffn: int, n_levels: int, n_heads: int, n_points: int):
        super().__init__()
        self.self_attn = MSDeformAttn(d_model, n_levels, n_heads, n_points)
        self.norm1 = nn.LayerNorm(d_model)
        self.linear1 = nn.Linear(d_model, d_ffn)
        self.linear2 = nn.Linear(d_ffn, d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, src, pos, ref, shapes, starts, padding_mask=None):  # noqa: ANN001
        attn = self.self_attn(add_per_frame(src, pos), ref, src, shapes, starts, padding_mask)
        src = self.norm1(src + attn)
        return self.norm2(src + ffn(src, self.linear1, self.linear2))


class Encoder(nn.Module):
    def __init__(self, layer_args: tuple, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(*layer_args) for _ in range(num_layers))

    def forward(self, src, pos, ref, shapes, starts, padding_mask=None) -> Tensor:  # noqa: ANN001
        for layer in self.layers:
            src = layer(src, pos, ref, shapes, starts, padding_mask)
        return src


class DecoderLayer(nn.Module):
    # Naming trap kept from upstream: norm2 follows self-attention, norm1 cross-attention.
    def __init__(self, d_model: int, d_ffn: int, n_levels: int, n_heads: int, n_points: int):
        super().__init__()
        self.cross_attn = MSDeformAttn(d_model, n_levels, n_heads, n_points)
        self.norm1 = nn.LayerNorm(d_model)
        self.self_attn = nn.MultiheadAttention(d_model, n_heads)
        self.norm2 = nn.LayerNorm(d_model)
        self.linear1 = nn.Linear(d_model, d_ffn)
        self.linear2 = nn.Linear(d_ffn, d_model)
        self.norm3 = nn.LayerNorm(d_model)

    def forward(self, tgt, query_pos, ref, memory, shapes, starts, padding_mask=None):  # noqa: ANN001
        q = tgt + query_pos
        tgt = self.norm2(tgt + multihead_attention(self.self_attn, q, q, tgt))
        attn = self.cross_attn(tgt + query_pos, ref, memory, shapes, starts, padding_mask)
        tgt = self.norm1(tgt + attn)
        return self.norm3(tgt + ffn(tgt, self.linear1, self.linear2))


class Decoder(nn.Module):
    def __init__(self, layer_args: tuple, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DecoderLayer(*layer_args) for _ in range(num_layers))
        # Assigned by the network: the same ModuleList as its top-level ``bbox_embed``
        # (iterative box refinement), hence the duplicated checkpoint keys.
        self.bbox_embed: nn.ModuleList | None = None

    def forward(
        self,
        tgt: Tensor,
        reference: Tensor,
        memory: Tensor,
        shapes: list[tuple[int, int]],
        starts: list[int],
        valid_ratios: Tensor,
        query_pos: Tensor,
        padding_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Returns hs [Ld,B,Q,C], boxes [Ld,B,Q,4] (with grad), references [Ld,B,Q,4] (detached)."""
        assert self.bbox_embed is not None
        hs, boxes, refs = [], [], []
        for lid, layer in enumerate(self.layers):
            if reference.shape[-1] == 4:
                ratios = torch.cat([valid_ratios, valid_ratios], -1)
            else:
                ratios = valid_ratios
            ref_in = reference[:, :, None] * ratios[:, None]
            tgt = layer(tgt, query_pos, ref_in, memory, shapes, starts, padding_mask)
            delta = self.bbox_embed[lid](tgt)
            if reference.shape[-1] == 4:
                box = (delta + inverse_sigmoid(reference)).sigmoid()
            else:
                xy = delta[..., :2] + inverse_sigmoid(reference)
                box = torch.cat((xy, delta[..., 2:]), -1).sigmoid()
            reference = box.detach()
            hs.append(tgt)
            boxes.append(box)
            refs.append(reference)
        return torch.stack(hs), torch.stack(boxes), torch.stack(refs)


class DeformableTransformer(nn.Module):
    """Container with the checkpoint's ``transformer.*`` names."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        num_encoder_layers: int,
        num_decoder_layers: int,
        dim_feedforward: int,
        num_feature_levels: int,
        enc_n_points: int,
        dec_n_points: int,
    ) -> None:
        super().__init__()
        self.d_model = d_model
        self.level_embed = nn.Parameter(torch.zeros(num_feature_levels, d_model))
        enc_args = (d_model, dim_feedforward, num_feature_levels, nhead, enc_n_points)
        dec_args = (d_model, dim_feedforward, num_feature_levels, nhead, dec_n_points)
        self.encoder = Encoder(enc_args, num_encoder_layers)
        self.decoder = Decoder(dec_args, num_decoder_layers)
        self.reference_points = nn.Linear(d_model, 2)
