"""Real training steps on ActionVOS-Lite: the loss falls, cancel and resume keep a usable run."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from lite_models import fresh_lite

from actionvos.checkpoints import load
from actionvos.sample import make_kitchen_clip
from actionvos.training import AugmentSettings, Trainer, TrainSettings, synthetic_train_clip
from actionvos.training.checkpoint import read_record

pytestmark = pytest.mark.slow

#: Small frames, no randomness in the pixels: a fixed batch to overfit.
FIXED = AugmentSettings(scales=(64,), max_size=128, flip_p=0.0, photometric=False)


@pytest.fixture(scope="module")
def clips():
    return [synthetic_train_clip(make_kitchen_clip(s, n_frames=6, size=(96, 128))) for s in (1, 2)]


def settings(**kw) -> TrainSettings:
    values = dict(
        steps=4,
        lr=1e-3,
        objects_per_step=3,
        num_frames=3,
        device="cpu",
        augment=FIXED,
        train_backbone=False,
    )
    values.update(kw)
    return TrainSettings(**values)


def test_a_few_real_steps_lower_the_loss_on_a_fixed_batch(clips, tmp_path) -> None:
    net, tok = fresh_lite()
    trainer = Trainer(net, tok, clips, settings(steps=12, lr_drops=(0.99,)), tmp_path / "run")
    batch = trainer.drawer.draw()
    losses = [trainer.train_step(batch)[1] for _ in range(12)]
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses


def test_encoders_stay_frozen_and_heads_train(clips, tmp_path) -> None:
    net, tok = fresh_lite()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    Trainer(net, tok, clips, settings(steps=2), tmp_path / "run").run()
    after = net.state_dict()
    for k in before:
        if k.startswith(("backbone.0.body.", "text_encoder.")):
            assert torch.equal(before[k], after[k]), k
    assert not torch.equal(
        before["positive_cls_embed.1.weight"], after["positive_cls_embed.1.weight"]
    )
    assert not torch.equal(before["resizer.fc.weight"], after["resizer.fc.weight"])


def test_run_folder_loads_and_leaves_the_packaged_encoders_out(clips, tmp_path) -> None:
    net, tok = fresh_lite()
    result = Trainer(net, tok, clips, settings(steps=2), tmp_path / "run").run()
    assert result.steps_done == 2 and not result.cancelled
    from safetensors.torch import load_file

    keys = load_file(str(tmp_path / "run" / "model.safetensors"))
    assert not any(k.startswith(("backbone.0.body.", "text_encoder.")) for k in keys)
    assert (tmp_path / "run" / "model.safetensors").stat().st_size < 20 * 2**20
    loaded = load(tmp_path / "run")
    for k, v in net.state_dict().items():
        assert torch.equal(v.cpu(), loaded.state_dict()[k]), k


def test_cancel_leaves_a_checkpoint_that_loads_and_resumes(clips, tmp_path) -> None:
    net, tok = fresh_lite()
    cancel = threading.Event()

    def stop_after_two(p) -> None:  # noqa: ANN001
        if p.step == 2:
            cancel.set()

    out = tmp_path / "run"
    result = Trainer(net, tok, clips, settings(steps=6), out).run(stop_after_two, cancel)
    assert result.cancelled and result.steps_done == 2
    assert read_record(out)["step"] == 2
    load(out)  # usable as a model
    net2, _ = fresh_lite()
    resumed = Trainer(net2, tok, clips, settings(steps=6), out, resume=True)
    assert resumed.step == 2 and len(resumed.losses) == 2
    for k, v in load(out).state_dict().items():
        assert torch.equal(resumed.net.state_dict()[k].cpu(), v), k
    done = resumed.run()
    assert done.steps_done == 6 and read_record(out)["step"] == 6


def test_same_seed_same_run(clips, tmp_path) -> None:
    runs = []
    for name in ("a", "b"):
        net, tok = fresh_lite()
        runs.append(Trainer(net, tok, clips, settings(steps=2), tmp_path / name).run().losses)
    assert runs[0] == runs[1]
