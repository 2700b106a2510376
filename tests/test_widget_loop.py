"""The whole annotation loop in one napari window, through the real buttons and layer events.

Open a synthetic kitchen clip, run the shipped ActionVOS-Lite, review, correct a mask with a
stroke through three frames and a flag, save, close, reopen the store, fine-tune briefly on
the corrections, and re-run with the new version; each step is checked on the layers' data
and ``features``, the objects table and the store on disk.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from napari.utils import progress
from qtpy.QtCore import Qt
from widget_support import dock

from actionvos.finetune import selected
from actionvos.registry import calibrated_threshold, list_models
from actionvos.sample import make_kitchen_clip, write_sample
from actionvos.store import FrameState, ModelRole, Source, Store

pytestmark = [pytest.mark.gui, pytest.mark.slow, pytest.mark.usefixtures("gui_display")]


def _click(signal, qtbot, button, timeout_ms: int = 300_000) -> None:
    with qtbot.waitSignal(signal, timeout=timeout_ms):
        qtbot.mouseClick(button, Qt.LeftButton)


@pytest.fixture
def kitchen(tmp_path, monkeypatch):
    """A short synthetic clip as a frame folder; a checkpoint directory of the test's own."""
    monkeypatch.setenv("ACTIONVOS_CHECKPOINTS", str(tmp_path / "checkpoints"))
    torch.set_num_threads(1)
    clip = make_kitchen_clip(7, n_frames=8, size=(180, 320))
    paths = write_sample(clip, tmp_path / "kitchen", video=False, masks=False)
    return clip, paths["frames"]


def test_open_run_review_correct_save_reopen_finetune_rerun(
    make_napari_viewer, qtbot, kitchen, tmp_path
) -> None:
    clip, frames_dir = kitchen
    names = list(clip.object_names)
    n = len(names)

    # --- open the clip, describe the action, run Lite (the default model) ---------------
    viewer = make_napari_viewer()
    viewer.open(str(frames_dir), plugin="actionvos-napari")
    widget = dock(viewer)
    box = widget.action_box
    assert box.checkpoint.text() == "lite"
    assert box.threshold.value == pytest.approx(calibrated_threshold("lite"))
    assert box.threshold.value != pytest.approx(0.75)  # Lite's own θ, not the paper's
    box.narration.value = clip.narration
    box.objects.value = ", ".join(names)
    box.device.value = "cpu"
    in_dock = []  # the run's progress also shows in napari's activity dock
    widget.jobs.progress.connect(lambda *_: in_dock.append(len(progress._all_instances)))
    _click(widget.run_done, qtbot, widget.run_button)
    assert in_dock and max(in_dock) >= 1
    assert len(progress._all_instances) == 0  # and is closed when the run ends
    layer_name = frames_dir.name
    active = viewer.layers[f"{layer_name} active"]
    inactive = viewer.layers[f"{layer_name} inactive"]
    assert np.asarray(active.data).max() > 0, widget.status.text()  # real model output
    assert active.data.shape == (8, 180, 320)
    assert list(active.features["name"]) == names
    assert widget.table.rowCount() == n
    first_probs = list(widget.rows.probs)

    # --- review: Next to review picks and records an object ------------------------------
    qtbot.mouseClick(widget.next_button, Qt.LeftButton)
    assert len(widget.rows.reviewed) == 1

    # --- correct: one stroke through frames 2..4, and one flag -------------------------
    painted_label = widget.rows.active.index(True) + 1  # the model's active object
    flip = widget.rows.active.index(False)  # a person says this one takes part too
    widget.table.check(flip, True)
    assert widget.rows.active[flip]
    assert "by you" in active.features["reasons"][flip]
    viewer.dims.set_current_step(0, 3)
    active.n_edit_dimensions = 3
    active.brush_size = 3  # in 3-D editing the brush reaches one frame either side
    viewer.layers.selection.active = active
    active.paint((3, 90, 160), painted_label)
    assert active.metadata["actionvos"]["edited_frames"] == [2, 3, 4]
    assert widget.session.unsaved

    # fine-tuning refuses unsaved corrections and says what to do
    assert widget.finetune() is None
    assert "Save first" in widget.status.text()

    # --- save, check the store on disk ---------------------------------------------------
    store_path = widget.store_box.path.text()
    assert store_path.endswith(".actionvos")
    _click(widget.save_done, qtbot, widget.store_box.save_button)
    assert not widget.session.unsaved, widget.status.text()
    saved_active = np.array(active.data, copy=True)
    saved_inactive = np.array(inactive.data, copy=True)
    with Store.open(store_path, read_only=True) as store:
        states = [store.frame_state(t) for t in range(8)]
        assert states[2:5] == [FrameState.HUMAN] * 3
        assert states[0] is FrameState.MODEL and states[7] is FrameState.MODEL
        action = store.actions()[-1]
        assert action.narration == clip.narration
        flags = store.activity(action.id)
        oid = {o.name: o.id for o in store.objects()}[names[flip]]
        assert flags[oid].source is Source.HUMAN and flags[oid].active is True
        assert store.read_frames([3])[0][90, 160] == painted_label
    viewer.close()

    # --- reopen the store in a new window: the work continues ----------------------------
    viewer = make_napari_viewer()
    layers = viewer.open(store_path, plugin="actionvos-napari")
    assert [lyr.name for lyr in layers][1:] == [f"{layer_name} active", f"{layer_name} inactive"]
    widget = dock(viewer)
    active = viewer.layers[f"{layer_name} active"]
    inactive = viewer.layers[f"{layer_name} inactive"]
    np.testing.assert_array_equal(active.data, saved_active)
    np.testing.assert_array_equal(inactive.data, saved_inactive)
    assert list(active.features["name"]) == names
    assert bool(active.features["active"][flip]) is True
    assert widget.table.rowCount() == n
    assert widget.action_box.narration.value == clip.narration
    assert widget.session.store_path == store_path
    assert len(widget.rows.reviewed) == 1  # Next to review goes on where it stopped

    # --- fine-tune briefly on the corrections --------------------------------------------
    tune = widget.finetune_box
    tune.steps.value = 2
    tune.device.value = "cpu"
    widget.action_box.objects.value = ", ".join(names)
    widget.action_box.device.value = "cpu"
    _click(widget.finetune_done, qtbot, tune.button)
    version = tune.version
    assert version is not None and version.startswith("lite-ft-"), widget.status.text()
    # the model to use unless it scored lower on the held-out frames (two steps: either way)
    if selected() == version:
        assert widget.action_box.checkpoint.text() == version
    else:
        assert widget.action_box.checkpoint.text() == "lite"
        assert "the model stays lite" in widget.status.text()
    assert {e.name: e.kind for e in list_models()}[version] == "finetuned"
    table = tune.table_text()
    assert [row[0] for row in table] == ["p-mIoU", "n-mIoU", "p-cIoU", "n-cIoU", "gIoU", "Acc"]
    scored = {row[0]: row for row in table}  # the held-out frames were scored, before and after
    for name in ("p-mIoU", "p-cIoU", "gIoU", "Acc"):  # n-*: n/a when no object there is inactive
        assert scored[name][1] != "n/a" and scored[name][2] != "n/a", table
    assert tune.rerun_button.isEnabled() and version in tune.rerun_button.text()
    with Store.open(store_path, read_only=True) as store:
        recorded = [m for m in store.models() if m.role is ModelRole.TRAINED]
        assert [m.name for m in recorded] == [version]

    # --- re-run with the new version: model output changes, the person's work stays ------
    _click(widget.run_done, qtbot, tune.rerun_button)
    assert version in widget.status.text() and "kept your work" in widget.status.text()
    assert widget.session.outcome.request.model == version
    assert np.asarray(active.data).max() > 0
    for t in (2, 3, 4):  # human-verified frames are not replaced by model output
        np.testing.assert_array_equal(active.data[t], saved_active[t])
        np.testing.assert_array_equal(inactive.data[t], saved_inactive[t])
    assert widget.rows.active[flip] is True  # the person's flag survives the re-run
    assert widget.rows.probs != first_probs  # the new weights score the objects anew
    assert len(widget.rows.reviewed) == 1
