"""The criterion reproduces ActionVOS's SetCriterion on the r50 fixture, term by term.

Settings, tolerances, caption count and layer count come from the fixture JSON files, so the
same test accepts any fixture produced the same way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from actionvos.losses import ActionVOSCriterion, LossSettings, clip_target

DATA = Path(__file__).parent / "data"
HEADS = ("pred_logits", "pred_boxes", "pred_masks", "pred_positives")


@pytest.fixture(scope="module")
def fixture():
    meta = json.loads((DATA / "fixture_r50_loss.json").read_text())
    outputs = load_file(DATA / "fixture_r50.safetensors")
    loss = load_file(DATA / "fixture_r50_loss.safetensors")
    return meta, outputs, loss


def tolerances(meta: dict) -> dict[str, float]:
    text = meta["measured_tolerance"]["recommended"]
    return {k: float(v) for k, v in re.findall(r"(rtol|atol)=([0-9.e-]+)", text)}


def captions(loss: dict) -> list[int]:
    return sorted({int(m.group(1)) for k in loss if (m := re.match(r"targets\.cap(\d+)\.", k))})


def aux_layers(outputs: dict, i: int) -> list[int]:
    return sorted({int(m.group(1)) for k in outputs if (m := re.match(rf"cap{i}\.aux(\d+)\.", k))})


def outputs_for(outputs: dict, i: int) -> dict:
    out = {h: outputs[f"cap{i}.{h}"] for h in HEADS}
    out["aux_outputs"] = [
        {h: outputs[f"cap{i}.aux{l}.{h}"] for h in HEADS} for l in aux_layers(outputs, i)
    ]
    return out


def target_for(loss: dict, i: int) -> dict:
    t = {k: loss[f"targets.cap{i}.{k}"] for k in ("masks", "weights", "boxes", "valid", "positive")}
    t["labels"] = loss[f"targets.cap{i}.labels"]
    t["masks"] = t["masks"].float()
    return t


def check_terms(terms: dict, loss: dict, case: str, tol: dict) -> None:
    expected = {
        k.split(".", 2)[2]: v
        for k, v in loss.items()
        if k.startswith(f"loss.{case}.") and k.split(".", 2)[2].startswith("loss_")
    }
    assert set(terms) == set(expected)
    for name, value in expected.items():
        torch.testing.assert_close(
            terms[name].double(), value, rtol=tol["rtol"], atol=tol["atol"], msg=f"{case} {name}"
        )


def test_settings_are_the_official_ones(fixture) -> None:
    meta, _, _ = fixture
    settings = LossSettings.from_dict(meta["criterion"])
    assert settings == LossSettings(weights=settings.weights)
    assert dict(settings.weights) == meta["criterion"]["weight_dict"]


def test_each_caption(fixture) -> None:
    meta, outputs, loss = fixture
    criterion = ActionVOSCriterion(LossSettings.from_dict(meta["criterion"]))
    tol = tolerances(meta)
    for i in captions(loss):
        result = criterion.compute(outputs_for(outputs, i), [target_for(loss, i)])
        check_terms(result.terms, loss, f"cap{i}", tol)
        matched = [layer[0] for layer in result.matched]
        assert matched == loss[f"loss.cap{i}.matched_query"].tolist()
        total = criterion.weighted_total(result.terms).double()
        torch.testing.assert_close(
            total, loss[f"loss.cap{i}.total_weighted"], rtol=tol["rtol"], atol=tol["atol"]
        )


def test_batched(fixture) -> None:
    meta, outputs, loss = fixture
    criterion = ActionVOSCriterion(LossSettings.from_dict(meta["criterion"]))
    caps = captions(loss)
    per_cap = [outputs_for(outputs, i) for i in caps]
    batch = {h: torch.cat([o[h] for o in per_cap]) for h in HEADS}
    batch["aux_outputs"] = [
        {h: torch.cat([o["aux_outputs"][l][h] for o in per_cap]) for h in HEADS}
        for l in range(len(per_cap[0]["aux_outputs"]))
    ]
    result = criterion.compute(batch, [target_for(loss, i) for i in caps])
    tol = tolerances(meta)
    check_terms(result.terms, loss, "batched", tol)
    for b, i in enumerate(caps):
        assert [layer[b] for layer in result.matched] == loss[f"loss.cap{i}.matched_query"].tolist()
    total = criterion.weighted_total(criterion(batch, [target_for(loss, i) for i in caps]))
    torch.testing.assert_close(
        total.double(), loss["loss.batched.total_weighted"], rtol=tol["rtol"], atol=tol["atol"]
    )


def test_targets_built_like_the_loader(fixture) -> None:
    """From the raw weight maps and an annotation, clip_target rebuilds the stored targets."""
    meta, outputs, loss = fixture
    criterion = ActionVOSCriterion(LossSettings.from_dict(meta["criterion"]))
    for i in captions(loss):
        stored = target_for(loss, i)
        # the object's annotation: where a weight survived the mapping, plus its target mask
        annotation = ((stored["weights"] != 1) | (stored["masks"] > 0)).to(torch.uint8) * 7
        positive = bool(stored["positive"].any())
        built = clip_target(
            annotation.numpy(), loss[f"targets.cap{i}.weights_raw"].numpy(), 7, positive
        )
        for key in ("masks", "weights", "boxes", "valid", "positive"):
            torch.testing.assert_close(built[key], stored[key].to(built[key].dtype), msg=key)
        terms = criterion(outputs_for(outputs, i), [built])
        torch.testing.assert_close(terms["loss_mask"].double(), loss[f"loss.cap{i}.loss_mask"])
