"""RoBERTa text encoder, built offline: from a config dict or from a local model directory.

Official checkpoints contain the full RoBERTa weights, so normally only the architecture is
needed (no download). A local directory is accepted for users who keep ``roberta-base`` around.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from actionvos.errors import CheckpointError


def build_text_encoder(text_config: dict[str, Any] | None, local_dir: str | None = None):
    """Return a ``transformers.RobertaModel`` (with pooler) without touching the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import RobertaConfig, RobertaModel

    if local_dir is not None:
        path = Path(local_dir)
        if not (path / "config.json").is_file():
            raise CheckpointError(
                f"text encoder directory {path} has no config.json; point text_encoder_dir at a "
                "saved HuggingFace roberta-base folder or leave it unset to use text_config"
            )
        return RobertaModel.from_pretrained(
            str(path), local_files_only=True, add_pooling_layer=True
        )
    cfg = dict(text_config or {})
    pooling = bool(cfg.pop("add_pooling_layer", True))
    if cfg.get("hidden_size", 768) != 768:
        raise CheckpointError(
            f"text encoder hidden_size must be 768 (the resizer input), got {cfg['hidden_size']}"
        )
    return RobertaModel(RobertaConfig(**cfg), add_pooling_layer=pooling)
