"""The Fine-tune section: refusals that say what to do, Cancel, and its form's request."""

from __future__ import annotations

import pytest
from qtpy.QtCore import Qt
from widget_support import dock

from actionvos.errors import InputError
from actionvos.finetune import DEFAULT_PRESET, selected
from actionvos.registry import list_models
from actionvos.sample import make_kitchen_clip, write_sample
from actionvos.sample.label_store import write_clip_store
from actionvos_napari.finetune.box import FinetuneBox, metric_rows
from actionvos_napari.finetune.job import describe

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


def test_finetune_without_a_saved_store_says_what_to_do(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    widget = dock(viewer)
    widget.store_box.path.setText(str(tmp_path / "nothing.actionvos"))
    qtbot.mouseClick(widget.finetune_box.button, Qt.LeftButton)
    assert widget.worker is None and not widget.busy
    assert "no saved label store yet" in widget.status.text()
    assert widget.run_button.isEnabled()  # nothing was started


@pytest.mark.slow
def test_cancel_keeps_the_steps_done_as_a_version(
    make_napari_viewer, qtbot, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("ACTIONVOS_CHECKPOINTS", str(tmp_path / "checkpoints"))
    clip = make_kitchen_clip(3, n_frames=8, size=(180, 320))
    paths = write_sample(clip, tmp_path / "clip", video=False, masks=False)
    store = write_clip_store(
        clip, tmp_path / "clip.actionvos", clip_path=paths["frames"], video="clip"
    )
    viewer = make_napari_viewer()
    viewer.open(str(store), plugin="actionvos-napari")  # a corrected clip, reopened
    widget = dock(viewer)
    assert widget.session.store_path == str(store)
    box = widget.finetune_box
    box.steps.value = 10_000
    box.device.value = "cpu"
    messages = []
    widget.jobs.progress.connect(lambda d, t, m: messages.append(m))
    worker = widget.finetune()
    assert worker is not None, widget.status.text()
    assert not widget.run_button.isEnabled() and widget.cancel_button.isEnabled()
    ended = []
    widget.finetune_done.connect(lambda: ended.append(True))
    qtbot.waitUntil(lambda: any("step 1 of" in m for m in messages) or bool(ended), timeout=300_000)
    assert not ended, widget.status.text()  # it trains: now Cancel
    with qtbot.waitSignal(widget.finetune_done, timeout=300_000):
        qtbot.mouseClick(widget.cancel_button, Qt.LeftButton)
    assert box.version is not None, widget.status.text()
    assert "cancelled" in box.summary.text()
    # a few steps on one clip: the held-out frames decide whether it becomes the model
    if selected() == box.version:
        assert widget.action_box.checkpoint.text() == box.version
    else:
        assert widget.action_box.checkpoint.text() == "lite"
        assert "the model stays lite" in widget.status.text()
        assert f"Re-run with {box.version} tries it anyway" in widget.status.text()
    assert box.version in [e.name for e in list_models()]  # listed either way
    assert widget.run_button.isEnabled() and box.rerun_button.isEnabled()


def test_the_form_builds_the_request(qtbot, tmp_path) -> None:
    box = FinetuneBox()
    qtbot.addWidget(box)
    store = tmp_path / "a.actionvos"
    other = tmp_path / "b.actionvos"
    store.mkdir()
    other.mkdir()
    assert box.preset.value == DEFAULT_PRESET
    box.steps.value = 7
    box.more_stores.value = f"{other}; {store}"
    request = box.request(store, "lite")
    assert request.steps == 7 and request.minutes is None and request.model == "lite"
    assert request.stores == (store.resolve(), other.resolve())  # one each, this clip's first
    assert request.replay is None  # auto: the fine-tune's default for the model
    box.replay.value = "0"
    assert box.request(store, "lite").replay == 0.0
    box.minutes.value = 2.5
    request = box.request(store, "lite")
    assert request.minutes == 2.5 and request.steps is None
    box.more_stores.value = str(tmp_path / "missing.actionvos")
    with pytest.raises(InputError, match="no label store at"):
        box.request(store, "lite")


def test_metric_rows_and_progress_text() -> None:
    before = {"p_miou": 0.1, "n_miou": 0.0, "p_ciou": 0.2, "n_ciou": 0.0, "giou": 0.5,
              "accuracy": 0.75}  # fmt: skip
    after = dict(before, giou=0.625, accuracy=1.0)
    rows = metric_rows(before, after)
    assert rows[4] == ("gIoU", "50.0", "62.5", "+12.5")
    assert rows[5] == ("Acc", "75.0", "100.0", "+25.0")
    assert metric_rows(None, None)[0] == ("p-mIoU", "n/a", "n/a", "")
    from actionvos.finetune import FinetuneProgress

    done, total, text = describe(FinetuneProgress("training", 3, 10, 0.5, 2.0, 3.5))
    assert (done, total) == (3, 10)
    assert text == "fine-tuning: step 3 of 10, loss 0.500, 2.00 steps/s, about 4 s left"
    assert describe(FinetuneProgress("scoring before"))[2] == "fine-tuning: scoring before…"
