"""The simulated annotator: its score is the official gIoU, its edits are the small ones a
person makes, its review order is the widget's, and its edit count is deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from lite_models import fresh_lite

from actionvos.annotation.edits import EditKind, brush_radius, brush_stroke, largest_error
from actionvos.annotation.review import review_order
from actionvos.annotation.scoring import ClipScorer
from actionvos.annotation.simulator import (
    ClipTask,
    Mode,
    SimulationSettings,
    simulate,
    widget_order,
)
from actionvos.annotation.start import ModelOutput
from actionvos.engine import Engine
from actionvos.errors import InputError
from actionvos.metrics import MetricAccumulator
from actionvos.sample import make_kitchen_clip


def test_clip_score_is_the_official_giou():
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 4, (3, 12, 12)).astype(np.uint16)
    truth[1][truth[1] == 2] = 0  # object 2 absent from frame 1
    pred = np.where(rng.uniform(size=truth.shape) < 0.7, truth, rng.integers(0, 4, truth.shape))
    positive = np.array([True, False, True])
    active = np.array([True, True, False])
    scorer = ClipScorer(truth, positive)
    scorer.update_all(pred)
    acc = MetricAccumulator()
    for t in range(3):
        gated = np.where(np.isin(pred[t], np.flatnonzero(active) + 1), pred[t], 0)
        acc.add_frame(gated, truth[t], {k + 1: bool(p) for k, p in enumerate(positive)})
    assert scorer.giou(active) == pytest.approx(acc.summary().giou)
    assert scorer.giou(positive) > scorer.giou(active)  # the right flags score better


def test_a_brush_stroke_fixes_the_largest_error_inside_one_disc():
    truth = np.zeros((40, 40), np.uint16)
    truth[5:35, 5:35] = 1
    labels = np.zeros_like(truth)
    labels[30:40, 30:40] = 1  # a small spill outside the object
    region, missing = largest_error(labels, truth, 1)
    assert missing and region.sum() == 30 * 30 - 25
    fixed = brush_stroke(labels, truth, 1, radius=4)
    assert fixed == np.count_nonzero(np.hypot(*np.mgrid[-4:5, -4:5]) <= 4)  # a whole disc
    assert not (labels.astype(bool) & ~truth.astype(bool))[:30, :30].any()  # inside the truth
    exact = truth.copy()
    assert brush_stroke(exact, truth, 1, radius=4) == 0 and np.array_equal(exact, truth)
    assert brush_radius(360, 640) == 8 and brush_radius(180, 320) == 4


def test_review_order_puts_box_only_objects_first_then_nearest_the_gate():
    order = review_order([0.9, 0.74, 0.2, 0.8, 0.1], 0.75, [False, False, True, False, True])
    assert order == [2, 4, 1, 3, 0]
    with pytest.raises(InputError, match="box flags"):
        review_order([0.5], 0.75, [True, False])


@pytest.fixture(scope="module")
def small_task():
    clip = make_kitchen_clip(1_000_700, n_frames=4, size=(96, 128))
    return clip, ClipTask.from_synthetic(clip)


def test_manual_annotation_reaches_the_target_with_brush_strokes_only(small_task):
    _, task = small_task
    first = simulate(task, Mode.MANUAL)
    again = simulate(task, "manual")
    assert first.reached and first.giou_end >= 0.9 > first.giou_start
    assert first.edits.as_dict() == again.edits.as_dict()
    assert first.edits.counts[EditKind.BRUSH] == first.edits.total > 0
    capped = simulate(task, Mode.MANUAL, settings=SimulationSettings(max_edits=3))
    assert capped.edits.total == 3 and not capped.reached


def test_model_in_the_loop_edit_count_is_deterministic_for_a_seed(small_task):
    clip, task = small_task
    net, tokenizer = fresh_lite()
    engine = Engine(net, tokenizer, threshold=0.5, short_side=96)
    output = ModelOutput.from_result(engine.run(clip.frames, clip.object_names, clip.narration))
    assert output.labels.shape == task.truth.shape
    settings = SimulationSettings(seed=3)
    runs = [simulate(task, mode, output, settings) for mode in ("model", "model")]
    assert runs[0].edits.as_dict() == runs[1].edits.as_dict()
    assert runs[0].order == widget_order(task, output)
    shuffled = [simulate(task, Mode.RANDOM_ORDER, output, settings) for _ in range(2)]
    assert shuffled[0].edits.as_dict() == shuffled[1].edits.as_dict()
    assert shuffled[0].order == shuffled[1].order
    assert sorted(shuffled[0].order) == list(range(len(task.positive)))
    for r in (*runs, *shuffled):
        assert r.reached and (r.edits.total > 0) == (r.giou_start < 0.9)
    with pytest.raises(InputError, match="model's output"):
        simulate(task, Mode.MODEL)


def test_a_finished_annotation_is_saved_with_its_frame_states(small_task, tmp_path):
    from actionvos.annotation.saving import save_annotation
    from actionvos.store import FrameState, Source, Store

    _, task = small_task
    result = simulate(task, Mode.MANUAL)
    path = save_annotation(tmp_path / "clip.actionvos", task, result.state)
    with Store.open(path, read_only=True) as store:
        human = store.labelled_frames([FrameState.HUMAN])
        assert human and human == [
            t for t, s in enumerate(result.state.states) if s.value == "human-verified"
        ]
        for t in human:
            names = {store.object(int(i)).name for i in np.unique(store.read_frame(t)) if i}
            want = {task.object_names[int(v) - 1] for v in np.unique(result.state.labels[t]) if v}
            assert names == want
        flags = store.activity(store.actions()[0].id)
        assert {store.object(o).name: f.active for o, f in flags.items()} == dict(
            zip(task.object_names, task.positive.tolist(), strict=True)
        )
        assert all(f.source is Source.HUMAN for f in flags.values())
        assert store.check() == []


def test_the_second_round_trains_on_the_first_rounds_stores(small_task, tmp_path):
    pytest.importorskip("actionvos.finetune")
    from actionvos.annotation.second_round import FinetuneRound, finetune_on_annotations
    from actionvos.engine.loader import load_engine

    clip, task = small_task
    first = simulate(task, Mode.MANUAL)
    folder = finetune_on_annotations(
        [clip], [task], [first], tmp_path, FinetuneRound(steps=1, device="cpu")
    )
    assert (folder / "model.safetensors").is_file()
    assert (tmp_path / f"{task.name}.actionvos" / "labels.sqlite").is_file()
    engine = load_engine(folder)
    output = ModelOutput.from_result(engine.run(clip.frames, clip.object_names, clip.narration))
    assert simulate(task, Mode.MODEL, output).reached


def test_the_worst_first_order_takes_wrong_flags_first_then_the_worst_frame(small_task):
    _, task = small_task
    positives = [int(k) for k in np.flatnonzero(task.positive)]
    assert len(positives) >= 2
    wrong_flag, damaged = positives[0], positives[1]
    labels = task.truth.copy()
    labels[2][labels[2] == damaged + 1] = 0  # the model lost one object on frame 2
    probs = np.where(task.positive, 0.9, 0.1)
    probs[wrong_flag] = 0.2  # and calls an active object inactive
    output = ModelOutput(
        labels, probs, 0.5, np.zeros((*labels.shape[:1], len(probs), *labels.shape[1:]), np.float16)
    )
    settings = SimulationSettings(target_giou=0.99)
    result = simulate(task, Mode.WORST_FIRST, output, settings)
    assert result.order[0] == wrong_flag
    assert result.order[1] == damaged  # the lowest mean IoU after it
    assert result.reached and result.edits.counts[EditKind.FLAG] == 1
    # the damaged object's worst frame came first: frame 2 was the only one it fixed
    assert [t for t, s in enumerate(result.state.states) if s.value == "human-verified"] == [2]


def test_a_clip_the_model_had_right_is_left_out_of_the_second_round(small_task, tmp_path):
    from actionvos.annotation.second_round import (
        FinetuneRound,
        finetune_on_annotations,
        labels_a_frame,
    )

    clip, task = small_task
    probs = np.where(task.positive, 0.9, 0.1)
    perfect = ModelOutput(
        task.truth.copy(),
        probs,
        0.5,
        np.zeros((task.truth.shape[0], len(probs), *task.truth.shape[1:]), np.float16),
    )
    accepted = simulate(task, Mode.MODEL, perfect)
    assert accepted.reached and accepted.edits.total == 0
    assert not labels_a_frame(accepted)
    assert labels_a_frame(simulate(task, Mode.MANUAL))
    with pytest.raises(InputError, match="nothing to fine-tune on"):
        finetune_on_annotations([clip], [task], [accepted], tmp_path, FinetuneRound(steps=1))
