"""The r50 reference fixture's model, built once per test session and shared by test files.

The weights come from the fixture's key-seeded recipe (nothing stored), so a model built here
is exactly the one the fixture outputs were produced with.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from actionvos.checkpoints.recipe import apply_recipe
from actionvos.network import ActionVOSNet, ModelConfig

DATA = Path(__file__).parent / "data"
FIXTURE_JSON = DATA / "fixture_r50.json"
FIXTURE_TENSORS = DATA / "fixture_r50.safetensors"
HEADS = ("pred_logits", "pred_boxes", "pred_masks", "pred_positives")


@functools.lru_cache(maxsize=1)
def fixture_meta() -> dict:
    return json.loads(FIXTURE_JSON.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def fixture_tensors() -> dict[str, torch.Tensor]:
    return load_file(str(FIXTURE_TENSORS))


def fixture_config() -> ModelConfig:
    meta = fixture_meta()
    return ModelConfig.from_referformer_args(meta["model_args_relevant"], meta["text_config"])


@functools.lru_cache(maxsize=1)
def _shared_model() -> ActionVOSNet:
    net = ActionVOSNet(fixture_config()).eval()
    apply_recipe(net, fixture_meta()["init_recipe"]["overrides_after_recipe"])
    return net


def fixture_model() -> ActionVOSNet:
    """The shared recipe model: do not modify it (use :func:`fresh_model` for that)."""
    return _shared_model()


def fresh_model() -> ActionVOSNet:
    """A private copy of the recipe model that a test may change."""
    return copy.deepcopy(_shared_model())


def tolerance(name: str) -> tuple[float, float]:
    """(rtol, atol) the fixture recommends for an output name."""
    return (1e-4, 2e-3) if name.endswith("pred_masks") else (1e-4, 1e-4)


def assert_matches_caption(out: dict, i: int, index: int = 0) -> None:
    """Batch entry ``index`` of ``out`` equals fixture caption ``i`` (final + aux + refs)."""
    ref = fixture_tensors()
    pairs = [("", out)] + [(f"aux{k}.", a) for k, a in enumerate(out["aux_outputs"])]
    for prefix, heads in pairs:
        for name in HEADS:
            rtol, atol = tolerance(name)
            torch.testing.assert_close(
                heads[name][index : index + 1],
                ref[f"cap{i}.{prefix}{name}"],
                rtol=rtol,
                atol=atol,
                msg=lambda m, key=f"cap{i}.{prefix}{name}": f"{key}: {m}",
            )
    torch.testing.assert_close(
        out["reference_points"][index : index + 1],
        ref[f"cap{i}.reference_points"],
        rtol=1e-4,
        atol=1e-4,
    )
