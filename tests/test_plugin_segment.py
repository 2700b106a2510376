"""The whole widget workflow in a real viewer: type the action, run the model, review.

The model is the fixture's architecture with deterministic random weights and a tiny
tokenizer, so the run is real (threaded, with progress) but its masks mean nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from actionvos.checkpoints import save
from actionvos.checkpoints.recipe import apply_recipe
from actionvos.engine.prompts import build_prompts
from actionvos.engine.tokenizer import build_byte_bpe_tokenizer
from actionvos.network import ActionVOSNet, ModelConfig

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]
DATA = Path(__file__).parent / "data"
OBJECTS = ["knife", "apple", "bowl"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    meta = json.loads((DATA / "fixture_r50.json").read_text())
    net = ActionVOSNet(
        ModelConfig.from_referformer_args(meta["model_args_relevant"], meta["text_config"])
    )
    apply_recipe(net, meta["init_recipe"].get("overrides_after_recipe"))
    folder = save(net, None, tmp_path_factory.mktemp("model") / "tiny")
    corpus = build_prompts(OBJECTS, "cut apple") * 5
    build_byte_bpe_tokenizer(folder / "tokenizer", corpus, vocab_size=400)
    return folder


def _widget(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    return widget


def _widget_on(viewer, frames, name, model_dir, narration, objects):
    """Add the clip, dock the widget and fill in the action for a quick CPU run."""
    viewer.add_image(frames, name=name, rgb=True)
    widget = _widget(viewer)
    box = widget.action_box
    box.narration.value = narration
    box.objects.value = objects
    box.use_model(str(model_dir))  # θ follows: the tiny model's config keeps the paper's 0.75
    assert box.threshold.value == 0.75
    box.device.value = "cpu"
    box.short_side.value = 48
    return widget


def _run(widget, qtbot):
    worker = widget.run()
    assert worker is not None, widget.status.text()
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    return worker


def test_run_review_and_regate(make_napari_viewer, qtbot, model_dir) -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (4, 48, 64, 3), dtype=np.uint8)
    viewer = make_napari_viewer()
    widget = _widget_on(viewer, frames, "clip", model_dir, "Cut  apple", "knife, apple, bowl")
    box = widget.action_box
    _run(widget, qtbot)

    assert widget.session.outcome is not None, widget.status.text()
    assert "done" in widget.status.text()
    assert widget.session.outcome.result.input_size == (48, 64)  # the chosen resolution was used
    assert widget.progress_bar.value() == widget.progress_bar.maximum()
    active, inactive = viewer.layers["clip active"], viewer.layers["clip inactive"]
    assert active.data.shape == inactive.data.shape == (4, 48, 64)
    assert widget.table.rowCount() == 3
    probs = [float(widget.table.item(r, 1).text()) for r in range(3)]
    gate = [widget.table.is_active(r) for r in range(3)]
    assert gate == [p >= 0.75 for p in probs]
    assert "named in the narration" in widget.table.item(1, 3).text()
    # the active layer is exactly the official label map at θ
    np.testing.assert_array_equal(active.data[2], widget.session.outcome.result.label_map(2, 0.75))

    # θ = 0 makes every object active without running the network again
    worker, result = widget.worker, widget.session.outcome.result
    box.threshold.value = 0.0
    assert all(widget.table.is_active(r) for r in range(3))
    assert not np.any(np.asarray(viewer.layers["clip inactive"].data))
    assert widget.worker is worker and widget.session.outcome.result is result

    # a human flips an object to inactive: its pixels move layers and the table says why
    k = int(np.bincount(np.asarray(active.data).ravel(), minlength=4)[1:].argmax()) + 1
    before = np.asarray(active.data) == k
    widget.table.item(k - 1, 2).setCheckState(0)
    assert not np.any(np.asarray(active.data) == k)
    np.testing.assert_array_equal(np.asarray(inactive.data) == k, before)
    assert "by you" in widget.table.item(k - 1, 3).text()
    assert active.metadata["actionvos"]["human"] == {str(k - 1): False}

    # painting a frame, then changing θ again: the review survives the new gate
    viewer.dims.set_current_step(0, 1)
    other = k % 3 + 1
    active.paint((1, 3, 3), other)
    box.threshold.value = 0.5
    assert not np.any(np.asarray(active.data) == k)
    assert not widget.table.is_active(k - 1)
    assert "by you" in widget.table.item(k - 1, 3).text()
    assert active.data[1, 3, 3] == other
    assert active.metadata["actionvos"]["edited_frames"] == [1]

    # running again would replace the unsaved review: refused until it is saved
    assert widget.run() is None
    assert "not saved" in widget.status.text()


def test_bad_input_is_explained_and_nothing_runs(make_napari_viewer, model_dir) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((2, 32, 32, 3), np.uint8), name="clip", rgb=True)
    widget = _widget(viewer)
    widget.action_box.objects.value = "knife"
    widget.action_box.checkpoint.edit.setText(str(model_dir))
    assert widget.run() is None
    assert "narration" in widget.status.text()
    widget.action_box.narration.value = "cut apple"
    widget.action_box.objects.value = "knife, knife"
    assert widget.run() is None
    assert "repeated: knife" in widget.status.text()
    assert "clip active" not in viewer.layers


def test_cancel_stops_the_run(make_napari_viewer, qtbot, model_dir) -> None:
    frames = np.zeros((40, 48, 64, 3), np.uint8)
    viewer = make_napari_viewer()
    widget = _widget_on(viewer, frames, "long", model_dir, "cut apple", "knife, apple")
    widget.jobs.progress.connect(lambda *a: widget.cancel_button.click())
    _run(widget, qtbot)
    assert widget.session.outcome is None
    assert "cancelled" in widget.status.text()
    assert "long active" not in viewer.layers
