"""Post-processing against the official run's stored outputs (tests/data/fixture_r50.*)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from actionvos.engine.postprocess import (
    caption_probs,
    merge_label_map,
    positive_probs,
    select_queries,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def fixture():
    meta = json.loads((DATA / "fixture_r50.json").read_text())
    tensors = load_file(str(DATA / "fixture_r50.safetensors"))
    n = len(meta["inputs"]["caption_lengths"])
    raw = {
        key: torch.cat([tensors[f"cap{i}.{key}"] for i in range(n)])
        for key in ("pred_logits", "pred_masks", "pred_positives")
    }
    return meta, tensors, raw


def test_selected_queries_and_scores_match_official(fixture):
    _, tensors, raw = fixture
    q_idx, scores = select_queries(raw["pred_logits"])
    assert torch.equal(q_idx, tensors["post.selected_query"])
    torch.testing.assert_close(scores, tensors["post.query_mean_scores"], rtol=1e-6, atol=1e-6)


def test_probs_gate_and_label_map_match_official(fixture):
    meta, tensors, raw = fixture
    size = tuple(meta["postprocess"]["orig_size_hw"])
    q_idx, _ = select_queries(raw["pred_logits"])
    probs = caption_probs(raw["pred_masks"], q_idx, size)
    pos = positive_probs(raw["pred_positives"])
    torch.testing.assert_close(pos, tensors["post.positive_prob"], rtol=0, atol=1e-6)
    # post.probs is gated: captions under the threshold are all zero.
    active = pos >= 0.75
    assert active.tolist() == [True, False, True]
    gated = probs * active.view(-1, 1, 1, 1)
    torch.testing.assert_close(gated, tensors["post.probs"], rtol=0, atol=1e-5)
    labels = merge_label_map(probs, pos)
    assert labels.dtype == torch.uint8
    assert torch.equal(labels, tensors["post.label_map"])
    counts = torch.bincount(labels.flatten().long(), minlength=len(pos) + 1)
    assert counts.tolist() == meta["postprocess"]["label_counts"]


def test_threshold_changes_the_gate(fixture):
    meta, _, raw = fixture
    size = tuple(meta["postprocess"]["orig_size_hw"])
    q_idx, _ = select_queries(raw["pred_logits"])
    probs = caption_probs(raw["pred_masks"], q_idx, size)
    pos = positive_probs(raw["pred_positives"])
    everything = merge_label_map(probs, pos, threshold=0.0)
    assert (everything == 2).any()  # caption 1 was gated off at 0.75
    nothing = merge_label_map(probs, pos, threshold=1.01)
    assert int(nothing.max()) == 0


def test_merge_rules_on_hand_made_values():
    # Two captions, one frame of four pixels.
    probs = torch.tensor([[[[0.6, 0.4, 0.7, 0.55]]], [[[0.6, 0.45, 0.9, 0.2]]]])
    pos = torch.tensor([0.9, 0.8])
    labels = merge_label_map(probs, pos)
    # tie -> first caption; both below 0.5 -> background; higher wins; only one above 0.5
    assert labels.tolist() == [[[1, 0, 2, 1]]]
    gated = merge_label_map(probs, torch.tensor([0.9, 0.5]))
    assert gated.tolist() == [[[1, 0, 1, 1]]]
