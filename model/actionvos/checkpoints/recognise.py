"""Recognise what a state dict is from its key names and shapes.

Used to build a matching config for an official file and, when a file does not fit, to tell
the user what it looks like instead of only listing key names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from torch import Tensor

from actionvos.network.config import BACKBONES, ROBERTA_BASE, ModelConfig

BODY = "backbone.0.body."
HEAD_PREFIX = "positive_cls_embed."
ALIAS_PREFIX = "transformer.decoder.bbox_embed."
ALIAS_TARGET = "bbox_embed."
IGNORED_SUFFIXES = ("total_params", "total_ops", "num_batches_tracked")
IGNORED_KEYS = frozenset({"text_encoder.embeddings.position_ids"})

_SWIN_DIMS = {96: "swin_t_p4w7 or swin_s_p4w7", 128: "swin_b_p4w7", 192: "swin_l_p4w7"}
_VIDEO_SWIN_DIMS = {96: "video_swin_t_p4w7 or video_swin_s_p4w7", 128: "video_swin_b_p4w7"}


def is_ignored(key: str) -> bool:
    """Keys the official loader also skips (thop counters, old transformers buffers)."""
    return key in IGNORED_KEYS or key.endswith(IGNORED_SUFFIXES)


def _count(state: Mapping[str, Tensor], pattern: str) -> int:
    rx = re.compile(pattern)
    found = {int(m.group(1)) for k in state if (m := rx.match(k))}
    return max(found) + 1 if found else 0


def guess_backbone(state: Mapping[str, Tensor]) -> str | None:
    """Backbone name from the trunk keys, e.g. 'resnet101', 'swin_b_p4w7'; None if no trunk."""
    if BODY + "conv1.weight" in state:
        blocks = _count(state, re.escape(BODY) + r"layer3\.(\d+)\.")
        return {6: "resnet50", 23: "resnet101"}.get(blocks, f"a ResNet with {blocks} res4 blocks")
    patch = state.get(BODY + "patch_embed.proj.weight")
    if patch is None:
        return None
    dim = int(patch.shape[0])
    if BODY + "downsamples.0.reduction.weight" in state or patch.dim() == 5:
        return _VIDEO_SWIN_DIMS.get(dim, f"a Video-Swin with embed dim {dim}")
    return _SWIN_DIMS.get(dim, f"a Swin with embed dim {dim}")


def describe(state: Mapping[str, Tensor]) -> str:
    """One phrase saying what the file looks like, for error messages."""
    n = len(state)
    has_model = any(k.startswith("transformer.") for k in state)
    backbone = guess_backbone(state)
    if not has_model:
        if backbone is not None:
            return f"a bare {backbone} backbone ({n} keys), not a full ReferFormer/ActionVOS model"
        sample = ", ".join(list(state)[:3])
        return f"not a ReferFormer/ActionVOS state dict ({n} keys such as {sample})"
    kind = "an ActionVOS checkpoint"
    if not any(k.startswith(HEAD_PREFIX) for k in state):
        kind = "a ReferFormer checkpoint without the ActionVOS head"
    where = backbone if backbone is not None else "an unrecognised"
    return f"{kind} with {where} backbone ({n} keys)"


def infer_config(state: Mapping[str, Tensor]) -> ModelConfig:
    """A ModelConfig whose module tree matches the shapes found in ``state``."""
    backbone = guess_backbone(state)
    if backbone not in BACKBONES:
        from actionvos.errors import CheckpointError

        raise CheckpointError(
            f"cannot build a model for this file: it looks like {describe(state)}; "
            f"supported backbones are {', '.join(BACKBONES)}"
        )
    cfg = ModelConfig(backbone=backbone)
    if "query_embed.weight" in state:
        cfg.num_queries, cfg.hidden_dim = (int(v) for v in state["query_embed.weight"].shape)
    if "class_embed.0.weight" in state:
        cfg.num_classes = int(state["class_embed.0.weight"].shape[0])
    cfg.dec_layers = _count(state, r"transformer\.decoder\.layers\.(\d+)\.") or cfg.dec_layers
    cfg.enc_layers = _count(state, r"transformer\.encoder\.layers\.(\d+)\.") or cfg.enc_layers
    ffn = state.get("transformer.encoder.layers.0.linear1.weight")
    if ffn is not None:
        cfg.dim_feedforward = int(ffn.shape[0])
    cfg.text_config = infer_text_config(state)
    return cfg


def infer_text_config(state: Mapping[str, Tensor]) -> dict[str, Any]:
    """roberta-base, with the sizes that can be read off the text encoder's tensors."""
    cfg = dict(ROBERTA_BASE)
    p = "text_encoder."
    shapes = {
        "vocab_size": (p + "embeddings.word_embeddings.weight", 0),
        "max_position_embeddings": (p + "embeddings.position_embeddings.weight", 0),
        "type_vocab_size": (p + "embeddings.token_type_embeddings.weight", 0),
        "intermediate_size": (p + "encoder.layer.0.intermediate.dense.weight", 0),
    }
    for name, (key, dim) in shapes.items():
        if key in state:
            cfg[name] = int(state[key].shape[dim])
    layers = _count(state, re.escape(p) + r"encoder\.layer\.(\d+)\.")
    if layers:
        cfg["num_hidden_layers"] = layers
    cfg["add_pooling_layer"] = (p + "pooler.dense.weight") in state or not any(
        k.startswith(p) for k in state
    )
    return cfg
