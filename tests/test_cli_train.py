"""``actionvos train``: ``--init`` starts a second stage from a model's weights, ``--resume``
continues a run with its own network and the parameters it trains."""

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


def test_a_resumed_run_keeps_its_query_ranker_and_what_it_trains(tmp_path) -> None:
    out = tmp_path / "ranked"
    argv = ["train", "--init", "lite", "--out", str(out), "--query-ranker"]
    argv += ["--train-only", "query_ranker", "--lr", "1e-2", "--device", "cpu"]
    assert main([*argv, *ONE_STEP]) == 0
    first = {k: v for k, v in load(out).state_dict().items() if k.startswith("query_ranker.")}
    # neither flag again: the run's own network and parameters
    resume = ["train", "--out", str(out), "--resume", "--device", "cpu", "--lr", "1e-2"]
    assert main([*resume, *ONE_STEP[2:], "--steps", "2"]) == 0
    assert read_record(out)["step"] == 2
    assert read_record(out)["settings"]["trainable"] == ["query_ranker"]
    trained = load(out)
    assert trained.config.query_ranker
    shipped = load(shipped_lite_dir()).state_dict()
    after = trained.state_dict()
    for k in shipped:
        assert torch.equal(shipped[k], after[k]), k
    assert any(not torch.equal(first[k], after[k]) for k in first)  # the ranker trained on


def test_resuming_with_other_parameters_to_train_is_refused_and_keeps_the_run(
    tmp_path, capsys
) -> None:
    out = tmp_path / "heads"
    argv = ["train", "--init", "lite", "--out", str(out), "--train-only", "controller."]
    assert main([*argv, *ONE_STEP, "--device", "cpu"]) == 0
    before = load(out).state_dict()
    resume = ["train", "--out", str(out), "--resume", "--device", "cpu", *ONE_STEP[2:]]
    assert main([*resume, "--steps", "3", "--train-only", "positive_cls_embed."]) != 0
    err = capsys.readouterr().err
    assert "controller." in err and "positive_cls_embed." in err
    assert main([*resume, "--steps", "3", "--query-ranker"]) != 0
    assert "--init" in capsys.readouterr().err
    assert read_record(out)["step"] == 1
    after = load(out).state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_the_defaults_are_the_run_that_made_the_shipped_weights(tmp_path) -> None:
    from actionvos.cli import build_parser
    from actionvos.training.lite import (
        SHIPPED_TRAINING_CLIPS,
        SHIPPED_TRAINING_SEED,
        SHIPPED_TRAINING_STEPS,
    )

    args = build_parser().parse_args(["train", "--out", str(tmp_path / "lite")])
    assert (args.synthetic, args.seed, args.steps, args.init, args.style) == (
        SHIPPED_TRAINING_CLIPS,
        SHIPPED_TRAINING_SEED,
        SHIPPED_TRAINING_STEPS,
        None,
        "default",
    )
