"""θ calibration: every threshold is scored from one run per clip, the best lands in config.json."""

from __future__ import annotations

import pytest
from lite_models import fresh_lite

from actionvos.checkpoints import save
from actionvos.engine.loader import load_engine
from actionvos.network import ModelConfig
from actionvos.training.calibrate import calibrate_threshold, write_threshold
from actionvos.training.lite import synthetic_eval_clips


@pytest.mark.slow
def test_calibration_picks_the_best_scored_threshold_and_writes_it(tmp_path) -> None:
    net, _ = fresh_lite()
    save(net, None, tmp_path / "m")
    engine = load_engine(tmp_path / "m", device="cpu", short_side=96)
    clips = synthetic_eval_clips(1, seed=900_000, n_frames=2, size=(96, 160))
    result = calibrate_threshold(engine, clips, grid=(0.0, 0.5, 1.0))
    assert set(result.by_threshold) == {0.0, 0.5, 1.0}
    assert result.giou == max(result.by_threshold.values())
    assert result.by_threshold[result.threshold] == result.giou
    write_threshold(tmp_path / "m", 0.4)
    assert ModelConfig.from_json(tmp_path / "m" / "config.json").pos_cls_threshold == 0.4
    assert load_engine(tmp_path / "m", device="cpu").threshold == 0.4
