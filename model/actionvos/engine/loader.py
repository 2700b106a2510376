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
from actionvos.engine.tokenizer import EXPECTED_FILES, has_tokenizer_files, load_tokenizer
from actionvos.errors import CheckpointError
from actionvos.paths import checkpoint_dirs

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


def resolve_checkpoint(checkpoint: str | Path) -> Path:
    """A checkpoint path as given, or a bare name found in the checkpoint directories.

    ``actionvos info`` lists those directories (``$ACTIONVOS_CHECKPOINTS``, then the user's
    data folder), so a team can share models by name.
    """
    path = Path(checkpoint).expanduser()
    if path.exists():
        return path
    searched = checkpoint_dirs()
    if len(path.parts) == 1:
        for folder in searched:
            if (folder / path).exists():
                return folder / path
    raise CheckpointError(
        f"checkpoint {checkpoint} does not exist; give a path, or put it in one of "
        f"{', '.join(str(d) for d in searched)} and use its name"
    )


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


def load_engine(
    checkpoint: str | Path, text_encoder: str | Path | None = None, **engine_options: Any
) -> Engine:
    """Load weights and tokenizer, check they fit, and return a ready engine.

    ``engine_options`` go to :class:`Engine` (device, precision, object_batch, ...). The
    positive gate defaults to the threshold stored in the model configuration.
    """
    path = resolve_checkpoint(checkpoint)
    net = load_network(path)
    cfg = net.config
    tok_dir = find_tokenizer_dir(path, text_encoder, cfg.text_encoder_dir)
    tokenizer = load_tokenizer(tok_dir)
    check_vocabulary(tokenizer, net, tok_dir)
    engine_options.setdefault("threshold", cfg.pos_cls_threshold)
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
