"""Our module tree has exactly the official state_dict names and shapes, for every backbone.

Full-size models (roberta-base text encoder built from its config) are constructed on the meta
device, so no weights are allocated or downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from network_models import fixture_config, fixture_meta

from actionvos.errors import CheckpointError
from actionvos.network import OFFICIAL_BACKBONES, ActionVOSNet, ModelConfig

DATA = Path(__file__).parent / "data"


def meta_model(backbone: str) -> ActionVOSNet:
    with torch.device("meta"):
        return ActionVOSNet(ModelConfig(backbone=backbone))


@pytest.mark.parametrize("backbone", OFFICIAL_BACKBONES)
def test_state_dict_equals_official_manifest(backbone: str) -> None:
    manifest = json.loads((DATA / f"keys_{backbone}.json").read_text())
    state = meta_model(backbone).state_dict()
    ours = {k: list(v.shape) for k, v in state.items()}
    assert sorted(set(ours) - set(manifest)) == []
    assert sorted(set(manifest) - set(ours)) == []
    assert {k: s for k, s in ours.items() if manifest[k] != s} == {}
    assert list(ours) == list(manifest), "state_dict order differs from upstream"


@pytest.mark.parametrize("backbone", OFFICIAL_BACKBONES)
def test_parameter_counts_match_summary(backbone: str) -> None:
    summary = json.loads((DATA / "keys_summary.json").read_text())["backbones"][backbone]
    net = meta_model(backbone)
    assert sum(p.numel() for p in net.parameters()) == summary["n_params_unique"]
    for top, count in summary["params_by_top"].items():
        assert sum(p.numel() for p in getattr(net, top).parameters()) == count, top
    aliases = summary["aliases"]
    assert len(aliases) == summary["n_alias_groups"]
    state = net.state_dict(keep_vars=True)
    for short, long in aliases:
        assert state[short] is state[long]


def test_fixture_model_shapes_match_fixture() -> None:
    with torch.device("meta"):
        net = ActionVOSNet(fixture_config())
    ours = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert ours == fixture_meta()["state_dict_shapes"]


def test_config_round_trip_and_validation(tmp_path: Path) -> None:
    cfg = fixture_config()
    assert cfg.head_params == fixture_meta()["derived_config"]["controller_output"]
    cfg.to_json(tmp_path / "config.json")
    assert ModelConfig.from_json(tmp_path / "config.json") == cfg
    with pytest.raises(CheckpointError, match="unknown backbone 'resnet18'"):
        ModelConfig(backbone="resnet18")
    (tmp_path / "bad.json").write_text(json.dumps({"backbone": "resnet50", "colour": 1}))
    with pytest.raises(CheckpointError, match="unknown fields"):
        ModelConfig.from_json(tmp_path / "bad.json")
