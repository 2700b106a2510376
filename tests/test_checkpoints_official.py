"""Official checkpoints load with both alias sets; every misfit is reported by name.

A real official file is a pickled ``{'model': state_dict, 'args': Namespace, ...}``; the test
writes such files from the fixture model. State dicts of the other backbones are faked from
the key manifests with zero-stride tensors (right shapes, no memory).
"""

from __future__ import annotations

import argparse
import collections
import json
import warnings
from pathlib import Path

import pytest
import torch
from network_models import fixture_config, fixture_model, fixture_tensors, fresh_model

from actionvos.checkpoints import (
    MissingHeadWarning,
    describe,
    fit_state,
    guess_backbone,
    infer_config,
    load_official,
    read_official,
)
from actionvos.checkpoints.fit import expected_shapes
from actionvos.errors import CheckpointError
from actionvos.network import OFFICIAL_BACKBONES, ActionVOSNet, ModelConfig

DATA = Path(__file__).parent / "data"


def official_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """What upstream's model.state_dict() looked like: aliases, old buffers, thop counters."""
    state = {k: v.clone() for k, v in net.state_dict().items()}
    state["text_encoder.embeddings.position_ids"] = torch.arange(66)[None]
    state["backbone.0.body.layer1.0.bn1.num_batches_tracked"] = torch.tensor(0)
    state["total_ops"] = torch.zeros(1, dtype=torch.float64)
    state["transformer.total_params"] = torch.zeros(1, dtype=torch.float64)
    return state


def manifest_state(backbone: str) -> dict[str, torch.Tensor]:
    shapes = json.loads((DATA / f"keys_{backbone}.json").read_text())
    return {k: torch.zeros(1).expand(*s) if s else torch.zeros(()) for k, s in shapes.items()}


def run_caption(net: ActionVOSNet) -> dict:
    t = fixture_tensors()
    length = int(t["inputs.attention_mask"][0].sum())
    with torch.inference_mode():
        return net(
            t["inputs.imgs"],
            t["inputs.input_ids"][:1, :length],
            t["inputs.attention_mask"][:1, :length],
        )


def test_training_checkpoint_file_is_read_safely(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint0005.pth"
    weights = {"query_embed.weight": torch.randn(5, 256), "class_embed.0.bias": torch.zeros(1)}
    torch.save(
        {
            "model": weights,
            "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4}]},
            "lr_scheduler": {"milestones": collections.Counter({3: 1, 5: 1})},
            "args": argparse.Namespace(backbone="resnet101", lr=1e-4),
            "epoch": 5,
        },
        path,
    )
    got = read_official(path)
    assert got.keys() == weights.keys()
    assert torch.equal(got["query_embed.weight"], weights["query_embed.weight"])


def test_official_state_loads_with_inferred_config() -> None:
    net = load_official(official_state(fixture_model()))
    assert net.config == fixture_config()
    assert not net.training
    ours, ref = net.state_dict(), fixture_model().state_dict()
    assert ours.keys() == ref.keys()
    assert all(torch.equal(ours[k], ref[k]) for k in ref)


def test_either_alias_name_is_enough() -> None:
    net = fresh_model()
    state = official_state(fixture_model())
    keep_long = {k: v for k, v in state.items() if not k.startswith("bbox_embed.")}
    with torch.no_grad():
        net.bbox_embed[0].layers[0].weight.zero_()
    fit_state(net, keep_long, "test")
    assert torch.equal(net.bbox_embed[0].layers[0].weight, state["bbox_embed.0.layers.0.weight"])
    assert net.transformer.decoder.bbox_embed is net.bbox_embed


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("missing", ["Missing 1 keys", "controller.layers.2.bias"]),
        ("unexpected", ["Unexpected 1 keys", "extra_head.weight"]),
        ("misshaped", ["Mis-shaped 1 keys", "query_embed.weight (7, 256) (model: (5, 256))"]),
    ],
)
def test_misfits_are_named(change: str, words: list[str]) -> None:
    state = official_state(fixture_model())
    if change == "missing":
        del state["controller.layers.2.bias"]
    elif change == "unexpected":
        state["extra_head.weight"] = torch.zeros(3)
    else:
        state["query_embed.weight"] = torch.zeros(7, 256)
    before = fixture_model().state_dict()["controller.layers.0.weight"].clone()
    with pytest.raises(CheckpointError) as info:
        fit_state(fixture_model(), state, "my.pth")
    message = str(info.value)
    assert message.startswith("my.pth does not fit")
    for word in words:
        assert word in message
    assert torch.equal(fixture_model().state_dict()["controller.layers.0.weight"], before)


def test_wrong_backbone_is_recognised() -> None:
    with pytest.raises(CheckpointError, match="resnet101 backbone.*'resnet50'"):
        load_official(manifest_state("resnet101"), fixture_config())


def test_referformer_without_head() -> None:
    state = {
        k: v
        for k, v in official_state(fixture_model()).items()
        if not k.startswith("positive_cls_embed.")
    }
    net = fresh_model()
    with pytest.raises(CheckpointError, match="ReferFormer checkpoint without the ActionVOS head"):
        fit_state(net, state, "rf.pth")  # raises before changing anything
    with pytest.warns(MissingHeadWarning, match="positive probability 0.01"):
        fit_state(net, state, "rf.pth", allow_missing_head=True)
    logit = run_caption(net)["pred_positives"]
    torch.testing.assert_close(torch.sigmoid(logit), torch.full_like(logit, 0.01))


@pytest.mark.parametrize("backbone", OFFICIAL_BACKBONES)
def test_manifests_are_recognised_and_fit(backbone: str) -> None:
    state = manifest_state(backbone)
    assert guess_backbone(state) == backbone
    assert describe(state).startswith(f"an ActionVOS checkpoint with {backbone} backbone")
    cfg = infer_config(state)
    assert cfg.backbone == backbone
    assert cfg.text_config["vocab_size"] == 50265
    assert cfg.text_config["num_hidden_layers"] == 12
    with torch.device("meta"):
        net = ActionVOSNet(cfg)
    folded = {
        k: tuple(v.shape) for k, v in state.items() if not k.startswith("transformer.decoder.bbox")
    }
    assert expected_shapes(net) == folded


def test_unreadable_inputs_say_what_they_are(tmp_path: Path) -> None:
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="notes.pth"):
        load_official(text)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_official(tmp_path / "missing.pth")
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"state_dict": {"a": torch.zeros(1)}, "meta": {"epoch": 1}}, wrapped)
    with pytest.raises(CheckpointError, match="top-level keys: state_dict, meta"):
        load_official(wrapped)
    backbone_only = {
        k: v for k, v in manifest_state("resnet50").items() if k.startswith("backbone")
    }
    with pytest.raises(CheckpointError, match="bare resnet50 backbone"):
        load_official(backbone_only)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert describe({"x": torch.zeros(1)}).startswith("not a ReferFormer")


def test_default_config_is_what_its_own_official_checkpoint_infers() -> None:
    # The defaults describe the released checkpoint: every field read back from its keys.
    default = ModelConfig()
    assert infer_config(manifest_state(default.backbone)) == default
    assert describe(manifest_state(default.backbone)).startswith(
        f"an ActionVOS checkpoint with {default.backbone} backbone"
    )
