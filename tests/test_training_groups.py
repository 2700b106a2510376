"""Parameter groups and freezing follow the official recipe, by parameter name."""

from __future__ import annotations

import pytest
from network_models import fresh_model

from actionvos.training.param_groups import freeze, param_groups
from actionvos.training.settings import TrainSettings


@pytest.fixture(scope="module")
def net():
    return fresh_model()


def test_groups_get_the_official_learning_rates(net) -> None:
    st = TrainSettings(lr=1e-4, lr_backbone=5e-5, lr_text_encoder=1e-5, lr_linear_proj_mult=1.0)
    freeze(net, st)
    groups = {g.name: g for g in param_groups(net, st)}
    assert set(groups) == {"backbone", "linear_proj", "rest"}  # text encoder frozen by default
    assert (
        groups["backbone"].lr == 5e-5
        and groups["rest"].lr == 1e-4
        and groups["linear_proj"].lr == 1e-4
    )
    names = {id(p): n for n, p in net.named_parameters()}
    assert all(names[id(p)].startswith("backbone.0") for p in groups["backbone"].params)
    lp = [names[id(p)] for p in groups["linear_proj"].params]
    assert lp and all("reference_points" in n or "sampling_offsets" in n for n in lp)
    assert any(names[id(p)].startswith("resizer.") for p in groups["rest"].params)


def test_stem_first_stage_and_text_encoder_are_frozen(net) -> None:
    st = TrainSettings()
    freeze(net, st)
    for name, p in net.named_parameters():
        if name.startswith(("backbone.0.body.conv1", "backbone.0.body.layer1", "text_encoder.")):
            assert not p.requires_grad, name
        if name.startswith(("backbone.0.body.layer2", "backbone.0.body.layer4", "resizer.")):
            assert p.requires_grad, name


def test_text_encoder_group_when_asked(net) -> None:
    st = TrainSettings(train_text_encoder=True, lr_linear_proj_mult=0.1)
    freeze(net, st)
    groups = {g.name: g for g in param_groups(net, st)}
    assert groups["text_encoder"].lr == 1e-5
    assert groups["linear_proj"].lr == pytest.approx(1e-5)


def test_multistep_milestones_are_fractions_of_the_run() -> None:
    assert TrainSettings(steps=1000, lr_drops=(0.5, 0.8)).milestones() == [500, 800]
