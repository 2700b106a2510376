"""Early vision-language fusion: every projected pixel is gated by its attention over the words.

The pixel tokens are text-independent and shared by all captions, so their query projection is
computed once; each caption then writes its gated copy straight into the encoder input buffer.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .attention import attend, project


class VisionLanguageFusion(nn.Module):
    """out = pixel * MHA(query=pixel, key=word+pos, value=word); no residual, no norm."""

    def __init__(self, d_model: int, nhead: int) -> None:
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=0.0)

    def forward(self, pixels: Tensor, words: Tensor, word_pos: Tensor, word_mask: Tensor) -> Tensor:
        """pixels [T,S,C] (shared), words/word_pos [N,L,C], word_mask [N,L] -> [N*T,S,C]."""
        t, s, c = pixels.shape
        n = words.shape[0]
        mha = self.multihead_attn
        q = project(mha, pixels.reshape(1, t * s, c), 0)
        k = project(mha, words + word_pos, 1)
        v = project(mha, words, 2)
        mask = word_mask if bool(word_mask.any()) else None
        if n == 1:
            gate = attend(mha, q, k, v, mask).view(t, s, c)
            return gate * pixels
        out = pixels.new_empty(n, t, s, c)
        for i in range(n):
            m = None if mask is None else mask[i : i + 1]
            gate = attend(mha, q, k[i : i + 1], v[i : i + 1], m).view(t, s, c)
            if torch.is_grad_enabled():
                out[i] = gate * pixels
            else:
                torch.mul(gate, pixels, out=out[i])
        return out.view(n * t, s, c)
