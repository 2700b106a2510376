"""Caption-free clip features and clip-free caption features, computed once and reused.

Everything before the early fusion depends only on the frames (VisualFeatures) or only on the
caption (TextFeatures), so a clip is encoded once for all its captions and a caption once for
all clips. Per-frame tensors may have a leading 1 instead of T when all frames are identical
(position encodings of an unpadded clip).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
from torch import Tensor


def _move(obj, **kwargs):  # noqa: ANN001, ANN202
    if isinstance(obj, Tensor):
        if obj.is_floating_point():
            return obj.to(**kwargs)
        return obj.to(device=kwargs.get("device"))
    if isinstance(obj, list):
        return [_move(o, **kwargs) for o in obj]
    return obj


@dataclass
class VisualFeatures:
    """Text-independent encoding of one clip of T frames of size (H, W)."""

    size: tuple[int, int]
    num_frames: int
    src: Tensor  # [T, S, C] input_proj outputs of the 4 levels, flattened and concatenated
    pos: Tensor  # [T|1, S, C] 2-D sine encoding + level_embed (encoder query position)
    spatial_shapes: list[tuple[int, int]]  # (h, w) of the 4 encoder levels (strides 8..64)
    level_start: list[int]  # offset of each level in S
    valid_ratios: Tensor  # [T|1, 4, 2] (w, h) fraction of non-padded cells per level
    padding_mask: Tensor | None  # [T, S] True on padding; None for an unpadded clip
    enc_reference: Tensor  # [T|1, S, 4, 2] encoder reference points
    fpn_pos: list[Tensor]  # res2..res5 2-D sine encodings as sequences [T|1, h*w, C]
    fpn_masks: list[Tensor | None]  # res2..res5 padding masks [T, h*w] or None
    fpn_shapes: list[tuple[int, int]]  # (h, w) of res2..res5
    lateral4: Tensor  # [1, T*h2*w2, C] pixel_decoder adapter_1(res2) after its self-attention
    features: list[Tensor] | None = None  # raw backbone res2..res5 [T, C_i, h, w] if kept

    def to(self, device=None, dtype=None) -> VisualFeatures:  # noqa: ANN001
        """Move (and cast floating tensors) to another device / dtype."""
        kw = {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}
        return replace(self, **{f.name: _move(getattr(self, f.name), **kw) for f in fields(self)})


@dataclass
class TextFeatures:
    """Resized RoBERTa features of N captions, padded to a common length L."""

    words: Tensor  # [N, L, C]
    mask: Tensor  # [N, L] True on padding
    pos: Tensor  # [N, L, C] 1-D sine encoding of the tokens
    sentence: Tensor  # [N, C] resized pooler output

    def __len__(self) -> int:
        return self.words.shape[0]

    def __getitem__(self, index: int | slice | list[int] | Tensor) -> TextFeatures:
        if isinstance(index, int):
            index = slice(index, index + 1)
        return TextFeatures(
            self.words[index], self.mask[index], self.pos[index], self.sentence[index]
        )

    def to(self, device=None, dtype=None) -> TextFeatures:  # noqa: ANN001
        kw = {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}
        return TextFeatures(*(_move(getattr(self, f.name), **kw) for f in fields(self)))

    @staticmethod
    def cat(items: list[TextFeatures]) -> TextFeatures:
        """Concatenate captions (e.g. cached one by one), padding to the longest."""
        if not items:
            raise ValueError("TextFeatures.cat needs at least one item")
        length = max(it.words.shape[1] for it in items)

        def pad(x: Tensor, value: float | bool) -> Tensor:
            extra = length - x.shape[1]
            if extra == 0:
                return x
            filler = x.new_full((x.shape[0], extra, *x.shape[2:]), value)
            return torch.cat([x, filler], 1)

        return TextFeatures(
            torch.cat([pad(it.words, 0.0) for it in items]),
            torch.cat([pad(it.mask, True) for it in items]),
            torch.cat([pad(it.pos, 0.0) for it in items]),
            torch.cat([it.sentence for it in items]),
        )
