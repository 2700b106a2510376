"""A tiny random-weight model folder (safetensors + config + tokenizer) for CLI tests.

The weights come from the r50 fixture's key-seeded recipe; with ``--threshold 0`` its masks
are not empty, which is all a test of the writing and sharding paths needs.
"""

from __future__ import annotations

import json
from pathlib import Path

from actionvos.checkpoints import save
from actionvos.checkpoints.recipe import apply_recipe
from actionvos.engine.tokenizer import build_byte_bpe_tokenizer
from actionvos.network import ActionVOSNet, ModelConfig

DATA = Path(__file__).parent / "data"


def save_tiny_model(folder: Path, corpus: list[str]) -> Path:
    """Build the recipe model, save it under ``folder`` with a tokenizer fitted to ``corpus``."""
    meta = json.loads((DATA / "fixture_r50.json").read_text())
    net = ActionVOSNet(
        ModelConfig.from_referformer_args(meta["model_args_relevant"], meta["text_config"])
    )
    apply_recipe(net, meta["init_recipe"].get("overrides_after_recipe"))
    out = save(net, None, folder)
    build_byte_bpe_tokenizer(out / "tokenizer", corpus * 5, vocab_size=400)
    return out
