"""The query ranker: its loss, the engine's pick, adding one to older Lite weights, training it
alone from the command line."""

from __future__ import annotations

import pytest
import torch
from lite_models import fresh_lite

from actionvos.checkpoints import load
from actionvos.cli import main
from actionvos.engine.postprocess import choose_queries
from actionvos.losses import ActionVOSCriterion
from actionvos.losses.ranking import query_ious, rank_loss
from actionvos.registry import shipped_lite_dir
from actionvos.training.lite import with_query_ranker


def _masks() -> tuple[torch.Tensor, torch.Tensor]:
    """Two frames, three queries: query 1 draws the target exactly, query 0 half of it, query 2
    a disjoint square."""
    target = torch.zeros(1, 2, 8, 8)
    target[..., 2:6, 2:6] = 1
    pred = torch.full((1, 2, 3, 8, 8), -5.0)
    pred[:, :, 0, 2:4, 2:6] = 5.0
    pred[:, :, 1, 2:6, 2:6] = 5.0
    pred[:, :, 2, 6:8, 6:8] = 5.0
    return pred, target


def test_query_ious_per_query_and_one_for_two_empty_masks() -> None:
    pred, target = _masks()
    torch.testing.assert_close(query_ious(pred, target), torch.tensor([[0.5, 1.0, 0.0]]))
    empty = torch.zeros_like(target)  # a negative object: the query that draws nothing fits
    pred[:, :, 2] = -5.0
    torch.testing.assert_close(query_ious(pred, empty), torch.tensor([[0.0, 0.0, 1.0]]))


def test_rank_loss_prefers_the_best_fitting_query_and_leaves_the_masks_alone() -> None:
    pred, target = _masks()
    pred.requires_grad_(True)
    right = torch.tensor([[[0.0, 4.0, -4.0]] * 2])
    wrong = torch.tensor([[[0.0, -4.0, 4.0]] * 2])
    assert rank_loss(right, pred, target) < rank_loss(wrong, pred, target)
    logits = torch.zeros(1, 2, 3, requires_grad=True)
    rank_loss(logits, pred, target).backward()
    assert pred.grad is None  # the IoU targets are computed without gradient
    assert int(logits.grad.sum(1).argmin()) == 1  # descent raises the best query's logit


def test_choose_queries_follows_the_ranker_else_the_class_score() -> None:
    logits = torch.tensor([[[[3.0], [0.0], [-3.0]]]])  # [N=1, T=1, Q=3, K=1]: class picks 0
    rank = torch.tensor([[[-1.0, 0.0, 2.0]]])  # the ranker picks 2
    assert choose_queries({"pred_logits": logits}).tolist() == [0]
    assert choose_queries({"pred_logits": logits, "pred_rank": rank}).tolist() == [2]


def test_a_lite_with_a_ranker_outputs_rankings_that_the_criterion_trains() -> None:
    net, _ = fresh_lite()
    net = with_query_ranker(net).eval()
    frames = torch.randn(2, 3, 64, 96)
    ids = torch.tensor([[0, 100, 200, 2]])
    out = net(frames, ids, torch.ones_like(ids))
    assert out["pred_rank"].shape == (1, 2, net.config.num_queries)
    target = {
        "masks": torch.zeros(2, 64, 96),
        "boxes": torch.zeros(2, 4),
        "valid": torch.ones(2, dtype=torch.int64),
        "positive": torch.zeros(2, dtype=torch.int64),
    }
    terms = ActionVOSCriterion()(out, [target])
    assert torch.isfinite(terms["loss_rank"])


def test_with_query_ranker_adds_one_and_keeps_every_mask() -> None:
    old, _ = fresh_lite()
    old.eval()
    new = with_query_ranker(old).eval()
    assert new.config.query_ranker and not old.config.query_ranker
    frames = torch.randn(2, 3, 64, 96)
    ids = torch.tensor([[0, 100, 200, 2]])
    with torch.inference_mode():
        a = old(frames, ids, torch.ones_like(ids))
        b = new(frames, ids, torch.ones_like(ids))
    assert "pred_rank" not in a and "pred_rank" in b
    torch.testing.assert_close(a["pred_masks"], b["pred_masks"])
    assert with_query_ranker(new) is new


@pytest.mark.slow
def test_train_only_the_ranker_from_lite_moves_nothing_else(tmp_path) -> None:
    out = tmp_path / "ranked"
    argv = ["train", "--init", "lite", "--out", str(out), "--query-ranker"]
    argv += ["--train-only", "query_ranker"]
    argv += ["--steps", "2", "--synthetic", "2", "--seed", "5000", "--calibrate", "0"]
    assert main([*argv, "--lr", "1e-2", "--device", "cpu"]) == 0
    trained = load(out)
    assert trained.config.query_ranker
    before, after = load(shipped_lite_dir()).state_dict(), trained.state_dict()
    ranker = [k for k in after if k.startswith("query_ranker.")]
    assert ranker and set(after) == set(before) | set(ranker)
    for k in before:
        assert torch.equal(before[k], after[k]), k


def test_a_fresh_run_with_query_ranker_trains_one(tmp_path) -> None:
    out = tmp_path / "fresh"
    argv = ["train", "--out", str(out), "--query-ranker", "--steps", "1", "--synthetic", "2"]
    assert main([*argv, "--calibrate", "0", "--device", "cpu"]) == 0
    assert load(out).config.query_ranker


def test_query_ranker_on_an_official_model_is_refused(tmp_path, capsys) -> None:
    from tiny_model import save_tiny_model

    model = save_tiny_model(tmp_path / "tiny", ["cut apple"])
    argv = ["train", "--init", str(model), "--query-ranker", "--out", str(tmp_path / "run")]
    assert main([*argv, "--steps", "1", "--synthetic", "2", "--calibrate", "0"]) != 0
    assert "--query-ranker" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_train_only_a_prefix_that_names_nothing_is_refused(tmp_path, capsys) -> None:
    out = tmp_path / "none"
    argv = ["train", "--init", "lite", "--out", str(out), "--train-only", "no_such_module."]
    argv += ["--steps", "1", "--synthetic", "2", "--calibrate", "0", "--device", "cpu"]
    assert main(argv) != 0
    assert "nothing to train" in capsys.readouterr().err
