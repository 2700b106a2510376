"""A model's config.json is user input: wrong types and ranges are refused by name."""

from __future__ import annotations

import json

import pytest

from actionvos.errors import CheckpointError
from actionvos.network import ModelConfig


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hidden_dim": "256"}, r"hidden_dim must be an integer, got '256' \(str\)"),
        ({"num_queries": -3}, "num_queries must be at least 1, got -3"),
        ({"nheads": 7}, "hidden_dim 256 is not divisible by nheads 7"),
        ({"hidden_dim": 48, "nheads": 4}, "must be a multiple of 32"),
        ({"pos_cls_threshold": 5}, "pos_cls_threshold must lie strictly between 0 and 1"),
        ({"mask_threshold": 0.0}, "mask_threshold must lie strictly between 0 and 1"),
        ({"pos_cls_threshold": "high"}, "pos_cls_threshold must be a number"),
        ({"rel_coord": "yes"}, "rel_coord must be true or false"),
        ({"use_positive_cls": 1}, "use_positive_cls must be true or false"),
        ({"dec_layers": True}, "dec_layers must be an integer"),
        ({"controller_layers": 1}, "controller_layers must be at least 2"),
        ({"backbone": "resnet18"}, "unknown backbone 'resnet18'"),
        ({"text_model": "bert"}, "unknown text_model 'bert'"),
        ({"text_config": [1, 2]}, "text_config must be an object"),
        ({"text_encoder_dir": 5}, "text_encoder_dir must be a string or null"),
        ({"short_side": 8}, "short_side must be at least 32"),
        ({"encoders_from_packages": True}, "only available for the efficientnet_lite0"),
        ({"colour": "blue"}, "unknown fields"),
    ],
)
def test_bad_config_json_is_refused_naming_the_field(tmp_path, change, message) -> None:
    data = ModelConfig().to_dict()
    data.update(change)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match=message):
        ModelConfig.from_json(path)


def test_a_good_config_round_trips(tmp_path) -> None:
    cfg = ModelConfig(hidden_dim=128, nheads=4, pos_cls_threshold=0.6)
    cfg.to_json(tmp_path / "config.json")
    assert ModelConfig.from_json(tmp_path / "config.json") == cfg
