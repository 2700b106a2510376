"""Build an :class:`Engine` from a checkpoint path and a tokenizer directory.

Two checkpoint kinds are accepted: an official ActionVOS/ReferFormer ``.pth`` (the RoBERTa
weights are inside it, but the tokenizer is not, so a local roberta-base directory must be
named) and our own directory (``model.safetensors`` + ``config.json``), which may carry its
tokenizer in a ``tokenizer/`` sub-folder or directly beside the weights.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

from actionvos.engine.engine import Engine
from actionvos.engine.tokenizer import (
    EXPECTED_FILES,
    has_tokenizer_files,
    load_minilm_tokenizer,
    load_tokenizer,
)
from actionvos.errors import CheckpointError

TOKENIZER_SUBDIR = "tokenizer"
_TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.json",
    "merges.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


def find_tokenizer_dir(
    checkpoint: Path, text_encoder: str | Path | None, config_dir: str | None
) -> Path:
    """The tokenizer directory: the one given, else beside our checkpoint, else the config's."""
    if text_encoder is not None:
        return Path(text_encoder).expanduser()
    if checkpoint.is_dir():
        for candidate in (checkpoint / TOKENIZER_SUBDIR, checkpoint):
            if candidate.is_dir() and has_tokenizer_files(candidate):
                return candidate
    if config_dir:
        return Path(config_dir).expanduser()
    where = (
        f"{checkpoint / TOKENIZER_SUBDIR} or {checkpoint}"
        if checkpoint.is_dir()
        else "the official .pth (it holds none)"
    )
    raise CheckpointError(
        f"no tokenizer found for {checkpoint}: looked in {where}. Give a local roberta-base "
        f"directory (holding {EXPECTED_FILES[0]} or {EXPECTED_FILES[1]}) with --text-encoder, "
        "or copy its tokenizer files into the model folder with attach_tokenizer"
    )


def resolve_checkpoint(checkpoint: str | Path | None) -> Path:
    """The files of a model: ``lite``/None (shipped), a path, or a name in the checkpoint
    directories that ``actionvos info`` lists (``$ACTIONVOS_CHECKPOINTS``, then the user's
    data folder), so a team can share models by name. See :mod:`actionvos.registry`."""
    from actionvos.registry import resolve_model

    return resolve_model(checkpoint).path


def load_network(checkpoint: str | Path) -> torch.nn.Module:
    """An :class:`ActionVOSNet` in eval mode from either checkpoint kind."""
    from actionvos.checkpoints import load, load_official

    path = resolve_checkpoint(checkpoint)
    return load(path) if path.is_dir() else load_official(path)


def check_vocabulary(tokenizer: Any, net: torch.nn.Module, where: Path) -> None:
    """Refuse a tokenizer whose ids the text encoder's embedding table cannot hold."""
    vocab = int(net.text_encoder.get_input_embeddings().num_embeddings)
    size = len(tokenizer)
    if size > vocab:
        raise CheckpointError(
            f"the tokenizer in {where} has {size} tokens but the checkpoint's text encoder has "
            f"only {vocab}; use the tokenizer that belongs to this checkpoint (roberta-base "
            "for the official ones)"
        )


def tokenizer_for(net: torch.nn.Module, path: Path, text_encoder: str | Path | None) -> Any:
    """The tokenizer that belongs to ``net``: MiniLM's for Lite, else a RoBERTa folder."""
    cfg = net.config
    if cfg.text_model == "minilm":
        return load_minilm_tokenizer(text_encoder or cfg.text_encoder_dir)
    if text_encoder is None and not path.is_dir() and not cfg.text_encoder_dir:
        from actionvos.registry import resolve_model

        text_encoder = resolve_model(path).tokenizer
    tok_dir = find_tokenizer_dir(path, text_encoder, cfg.text_encoder_dir)
    tokenizer = load_tokenizer(tok_dir)
    check_vocabulary(tokenizer, net, tok_dir)
    return tokenizer


def load_engine(
    checkpoint: str | Path | None = None,
    text_encoder: str | Path | None = None,
    **engine_options: Any,
) -> Engine:
    """Load weights and tokenizer, check they fit, and return a ready engine.

    ``checkpoint`` is a registry name (None or ``lite``: the shipped ActionVOS-Lite), a model
    folder or an official ``.pth``. ``engine_options`` go to :class:`Engine` (device,
    precision, object_batch, ...). The positive gate and the working resolution default to
    those stored in the model configuration.
    """
    path = resolve_checkpoint(checkpoint)
    net = load_network(path)
    cfg = net.config
    tokenizer = tokenizer_for(net, path, text_encoder)
    engine_options.setdefault("threshold", cfg.pos_cls_threshold)
    engine_options.setdefault("short_side", cfg.short_side)
    return Engine(net, tokenizer, **engine_options)


def attach_tokenizer(model_dir: str | Path, tokenizer_dir: str | Path) -> Path:
    """Copy a tokenizer's files into ``model_dir/tokenizer`` so the model folder is complete."""
    src, dst = Path(tokenizer_dir), Path(model_dir) / TOKENIZER_SUBDIR
    load_tokenizer(src)  # fail early, with the usual message, on a bad source
    dst.mkdir(parents=True, exist_ok=True)
    for name in _TOKENIZER_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    return dst
