"""``actionvos train --init``: a second training stage starts from a model's weights."""

from __future__ import annotations

import pytest
import torch

from actionvos.checkpoints import load
from actionvos.cli import main
from actionvos.registry import shipped_lite_dir
from actionvos.training.checkpoint import read_record

pytestmark = pytest.mark.slow

#: One step on two small synthetic clips, no calibration: the start is what is checked.
ONE_STEP = ["--steps", "1", "--synthetic", "2", "--seed", "5000", "--calibrate", "0"]


def test_init_starts_from_the_models_weights_and_records_it(tmp_path) -> None:
    out = tmp_path / "stage2"
    # a learning rate too small to move a weight: what is saved is where the run started
    argv = ["train", "--init", "lite", "--out", str(out), "--lr", "1e-12", *ONE_STEP]
    assert main([*argv, "--device", "cpu"]) == 0
    assert read_record(out)["init"] == "lite"
    shipped = load(shipped_lite_dir()).state_dict()
    trained = load(out).state_dict()
    heads = [k for k in shipped if not k.startswith(("backbone.0.body.", "text_encoder."))]
    assert heads
    for k in heads:
        assert torch.allclose(trained[k], shipped[k], atol=1e-6), k


def test_a_fresh_run_does_not_start_from_the_shipped_weights(tmp_path) -> None:
    out = tmp_path / "fresh"
    argv = ["train", "--out", str(out), "--lr", "1e-12", *ONE_STEP, "--device", "cpu"]
    assert main(argv) == 0
    assert read_record(out)["init"] is None
    shipped = load(shipped_lite_dir()).state_dict()
    trained = load(out).state_dict()
    assert not torch.allclose(
        trained["positive_cls_embed.1.weight"], shipped["positive_cls_embed.1.weight"]
    )


def test_init_and_resume_together_are_refused_before_anything_is_written(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--init", "lite", "--resume", "--out", str(out), *ONE_STEP]) != 0
    assert "--resume" in capsys.readouterr().err
    assert not out.exists()
