"""The numerical-equivalence tool passes on the r50 fixture and fails on a broken model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from network_models import FIXTURE_JSON, FIXTURE_TENSORS

from actionvos import reference


def test_tool_passes_on_the_fixture(capsys) -> None:
    assert reference.main([str(FIXTURE_JSON)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.endswith(("PASS", "FAIL"))]
    assert rows and all(line.endswith("PASS") for line in rows)
    names = {line.split()[0] for line in rows}
    for expected in (
        "init.checksums",
        "cap2.aux1.pred_masks",
        "cap0.reference_points",
        "post.selected_query",
        "post.label_map",
        "batched.cap1.pred_positives",
    ):
        assert expected in names
    assert lines[-1] == f"{len(rows)}/{len(rows)} checks passed"


def test_a_perturbed_weight_fails() -> None:
    def perturb(net) -> None:  # noqa: ANN001
        with torch.no_grad():
            net.transformer.decoder.layers[3].linear1.weight.mul_(1.1)

    checks = reference.verify(FIXTURE_JSON, batched=False, after_init=perturb)
    failed = {c.name for c in checks if not c.passed}
    assert "init.checksums (rel)" not in failed
    assert "cap0.pred_masks" in failed and "cap1.pred_logits" in failed


def test_wrong_fixture_setting_gives_exit_status_1(tmp_path: Path, capsys) -> None:
    meta = json.loads(FIXTURE_JSON.read_text())
    meta["init_recipe"]["overrides_after_recipe"] = {"positive_cls_embed.3.bias": 0.0}
    (tmp_path / "f.json").write_text(json.dumps(meta))
    shutil.copy(FIXTURE_TENSORS, tmp_path / "f.safetensors")
    assert reference.main([str(tmp_path / "f.json"), "--no-batched"]) == 1
    out = capsys.readouterr().out
    assert "init.checksums (rel)" in out and "FAIL" in out
    assert reference.main([str(tmp_path / "absent.json")]) == 2
