"""Replay against forgetting: a share of the fine-tune's steps comes from the parent's own
training data (Lite's seeded synthetic clips); a parent without such data is refused before
anything is trained or written."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from digest import store_digest
from finetune_stores import tiny_request, truth_store
from lite_models import fresh_lite
from tiny_model import save_tiny_model

from actionvos.checkpoints import save
from actionvos.engine.prompts import build_prompts
from actionvos.errors import InputError
from actionvos.finetune import run_finetune
from actionvos.finetune.replay import DEFAULT_REPLAY, ReplayMix, replay_share
from actionvos.finetune.versions import read_version, versions_root
from actionvos.network.config import ModelConfig, lite_config
from actionvos.training import Trainer
from actionvos.training.data import SampleDrawer


def test_the_mix_draws_replay_at_its_share_and_keeps_every_correction() -> None:
    corrections, replay = ["a", "b", "c"], [f"r{i}" for i in range(200)]
    mix = ReplayMix(corrections, replay, 0.25)
    items = [mix[i] for i in range(len(mix))]
    share = sum(x.startswith("r") for x in items) / len(items)
    assert abs(share - 0.25) < 0.01
    assert sorted(set(items) - set(replay)) == corrections
    assert {items.count(c) for c in corrections} == {mix.repeats}
    with pytest.raises(IndexError):
        mix[len(mix)]
    with pytest.raises(InputError, match="between 0 and 1"):
        ReplayMix(corrections, replay, 1.0)


def test_by_default_lite_replays_half_its_steps_and_an_official_model_none() -> None:
    lite = SimpleNamespace(config=lite_config())
    official = SimpleNamespace(config=ModelConfig(backbone="resnet50"))
    assert replay_share(None, lite) == DEFAULT_REPLAY == 0.5
    assert replay_share(None, official) == 0.0
    assert replay_share(0.2, lite) == 0.2
    with pytest.raises(InputError, match="share of the steps"):
        replay_share(1.5, lite)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONVOS_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return [truth_store(seed, tmp_path) for seed in (11, 12)]


@pytest.mark.slow
def test_a_lite_finetune_with_replay_trains_on_both_and_records_the_share(
    home, tmp_path, monkeypatch
) -> None:
    torch.set_num_threads(1)
    net, _ = fresh_lite()
    parent = save(net, None, tmp_path / "parent")
    drawn: list[str] = []
    draw = SampleDrawer.draw

    def spy(self):
        step = draw(self)
        drawn.append(step.clip)
        return step

    monkeypatch.setattr(SampleDrawer, "draw", spy)
    result = run_finetune(tiny_request(parent, home, steps=6, select=False, replay=0.5, seed=3))
    assert result.steps == 6 and len(drawn) == 6
    replayed = [c for c in drawn if c.startswith("synthetic-")]
    assert 0 < len(replayed) < 6, drawn
    assert all(0 <= int(c.split("-")[1]) < 5000 for c in replayed)  # Lite's training seeds
    assert read_version(result.path).settings["replay"] == 0.5


@pytest.mark.slow
def test_replay_for_a_parent_without_training_data_is_refused_before_training(
    home, tmp_path, monkeypatch
) -> None:
    official = save_tiny_model(tmp_path / "official", build_prompts(["knife"], "cut onion"))
    before = [store_digest(p) for p in home]

    def no_training(*args, **kwargs):
        raise AssertionError("training started although replay cannot work")

    monkeypatch.setattr(Trainer, "run", no_training)
    with pytest.raises(InputError, match=r"only ActionVOS-Lite.*--replay 0"):
        run_finetune(tiny_request(official, home, select=False, replay=0.5))
    assert [store_digest(p) for p in home] == before
    assert not versions_root().exists()
