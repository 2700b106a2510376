"""Our model directory format (model.safetensors + config.json) round-trips exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from network_models import fixture_config, fixture_model
from safetensors import safe_open

from actionvos.checkpoints import load, load_any, save
from actionvos.errors import CheckpointError


def test_save_load_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "model"
    save(fixture_model(), None, target)
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "model.safetensors"]
    with safe_open(str(target / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
        assert f.metadata()["format"].startswith("actionvos-napari")
    assert not any(k.startswith("transformer.decoder.bbox_embed.") for k in keys)
    assert "bbox_embed.0.layers.0.weight" in keys
    assert json.loads((target / "config.json").read_text())["backbone"] == "resnet50"
    net = load_any(target)
    assert net.config == fixture_config()
    assert not net.training
    ours, ref = net.state_dict(), fixture_model().state_dict()
    assert ours.keys() == ref.keys()
    assert all(torch.equal(ours[k], ref[k]) for k in ref)
    assert net.transformer.decoder.bbox_embed is net.bbox_embed
    # saving again over the same directory replaces the files and leaves no temporaries
    save(net, net.config, target)
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "model.safetensors"]


def test_broken_directories_are_reported(tmp_path: Path) -> None:
    with pytest.raises(
        CheckpointError, match="config.json is missing|model.safetensors is missing"
    ):
        load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(fixture_config().to_dict()))
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    with pytest.raises(CheckpointError, match="may be truncated"):
        load(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="cannot read model config"):
        load(tmp_path)
