"""``torchrun --nproc_per_node=2 -m actionvos finetune``: two CPU ranks (gloo) train on
different shards of the stores, end with equal weights, and only rank 0 writes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from finetune_stores import truth_store
from lite_models import fresh_lite

from actionvos.checkpoints import save
from actionvos.finetune.versions import read_version

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_ranks_see_different_shards_and_end_with_equal_weights(tmp_path) -> None:
    stores = [truth_store(seed, tmp_path, n_frames=5) for seed in (21, 22, 23, 24)]
    net, _ = fresh_lite()
    parent = save(net, None, tmp_path / "parent")
    out, reports = tmp_path / "version", tmp_path / "reports"
    reports.mkdir()
    env = dict(os.environ, OMP_NUM_THREADS="1", ACTIONVOS_CHECKPOINTS=str(tmp_path / "ckpt"))
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "model"), str(ROOT), str(ROOT / "tests"), env.get("PYTHONPATH", "")]
    )
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
        f"--master_port={free_port()}", str(ROOT / "tests" / "finetune_ddp_worker.py"),
        str(reports), "finetune", *map(str, stores), "--model", str(parent), "--steps", "3",
        "--out", str(out), "--device", "cpu", "--no-select", "--quiet", "--holdout-every", "5",
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    r0, r1 = (json.loads((reports / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["world"] == r1["world"] == 2 and r0["code"] == r1["code"] == 0
    assert len(r0["drawn"]) == len(r1["drawn"]) == 3
    assert set(r0["drawn"]).isdisjoint(r1["drawn"])
    assert len(set(r0["drawn"]) | set(r1["drawn"])) >= 2
    assert r0["weights"] == r1["weights"] and len(r0["weights"]) == 1
    record = read_version(out)
    assert record.steps == 3 and record.settings["world_size"] == 2
    assert record.metrics_after is not None
    assert not (tmp_path / "ckpt").exists()  # --no-select, --out: nothing written elsewhere
