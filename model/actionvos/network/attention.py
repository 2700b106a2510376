"""Batch-first multi-head attention driven by ``nn.MultiheadAttention`` parameters.

The checkpoints store attention weights in ``nn.MultiheadAttention`` layout (packed
``in_proj_weight`` rows q|k|v, ``out_proj``), so the modules are kept for their names, but the
computation is ours: batch-first, SDPA, and able to project a query that is shared by several
captions only once (``query`` may have batch 1 while keys have batch N).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def project(mha: nn.MultiheadAttention, x: Tensor, which: int) -> Tensor:
    """Apply the q (0), k (1) or v (2) slice of the packed input projection."""
    c = mha.embed_dim
    w = mha.in_proj_weight[which * c : (which + 1) * c]
    b = None if mha.in_proj_bias is None else mha.in_proj_bias[which * c : (which + 1) * c]
    return F.linear(x, w, b)


def attend(
    mha: nn.MultiheadAttention,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    key_padding_mask: Tensor | None = None,
) -> Tensor:
    """Attention on already projected q [B|1, Lq, C], k/v [B, Lk, C]; returns [B, Lq, C].

    ``key_padding_mask`` [B, Lk] is True on keys to ignore (as in ``nn.MultiheadAttention``).
    """
    heads = mha.num_heads
    batch, lk, c = k.shape
    lq = q.shape[1]
    d = c // heads
    qh = q.reshape(q.shape[0], lq, heads, d).transpose(1, 2)
    if qh.shape[0] != batch:
        qh = qh.expand(batch, -1, -1, -1)
    kh = k.reshape(batch, lk, heads, d).transpose(1, 2)
    vh = v.reshape(batch, lk, heads, d).transpose(1, 2)
    mask = None
    if key_padding_mask is not None:
        mask = ~key_padding_mask[:, None, None, :]
    out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=mask)
    out = out.transpose(1, 2).reshape(batch, lq, c)
    return F.linear(out, mha.out_proj.weight, mha.out_proj.bias)


def multihead_attention(
    mha: nn.MultiheadAttention,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    key_padding_mask: Tensor | None = None,
) -> Tensor:
    """Batch-first equivalent of ``mha(query, key, value, key_padding_mask)[0]`` in eval mode."""
    return attend(
        mha,
        project(mha, query, 0),
        project(mha, key, 1),
        project(mha, value, 2),
        key_padding_mask,
    )
