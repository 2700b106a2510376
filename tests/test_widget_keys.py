"""Shortcuts pressed on the canvas, and the question before closing with unsaved edits."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QMessageBox
from widget_support import dock, fill_action, random_clip, tiny_model

from actionvos.store import Store
from actionvos_napari.app.shortcuts import SHORTCUTS

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def _press(viewer, qtbot, key, modifier=Qt.NoModifier) -> None:
    canvas = viewer.window._qt_viewer.canvas.native
    canvas.setFocus()
    qtbot.keyClick(canvas, key, modifier)


def test_every_shortcut_is_listed_and_bound(make_napari_viewer) -> None:
    viewer = make_napari_viewer()
    widget = dock(viewer)
    text = widget.help_label.text()
    for shortcut in SHORTCUTS:
        assert shortcut.label in text and shortcut.what in text
        assert callable(getattr(widget, shortcut.action))
    bound = {str(k) for k in viewer.keymap}
    assert {".", ",", "N", "T", "Shift+R", "Shift+S"} <= bound, bound


def test_shortcuts_drive_the_loop(make_napari_viewer, qtbot, model_dir, tmp_path) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(5), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple, bowl", threshold=0.0)

    with qtbot.waitSignal(widget.run_done, timeout=120_000):
        _press(viewer, qtbot, Qt.Key_R, Qt.ShiftModifier)  # run
    active = viewer.layers["clip active"]
    assert np.asarray(active.data).max() > 0, widget.status.text()

    viewer.dims.set_current_step(0, 1)
    _press(viewer, qtbot, Qt.Key_Period)
    assert viewer.dims.current_step[0] == 2
    _press(viewer, qtbot, Qt.Key_Comma)
    _press(viewer, qtbot, Qt.Key_Comma)
    assert viewer.dims.current_step[0] == 0

    _press(viewer, qtbot, Qt.Key_N)  # next to review: selects a label in its layer
    (index,) = widget.rows.reviewed
    layer = viewer.layers.selection.active
    assert layer.selected_label == index + 1
    was = widget.rows.active[index]
    _press(viewer, qtbot, Qt.Key_T)  # toggle that object
    assert widget.rows.active[index] is (not was), widget.status.text()
    assert widget.table.is_active(index) is (not was)
    where = np.asarray(viewer.layers["clip active"].data) == index + 1
    assert bool(where.any()) == (not was)

    widget.store_box.path.setText(str(tmp_path / "clip.actionvos"))
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        _press(viewer, qtbot, Qt.Key_S, Qt.ShiftModifier)  # save
    assert not widget.session.unsaved, widget.status.text()
    with Store.open(tmp_path / "clip.actionvos", read_only=True) as store:
        flags = store.activity(store.actions()[0].id)
        assert flags[index + 1].active is (not was)


def test_closing_with_unsaved_edits_asks_first(
    make_napari_viewer, qtbot, monkeypatch, tmp_path
) -> None:
    viewer = make_napari_viewer(show=True)
    viewer.open_sample("actionvos-napari", "kitchen")
    widget = dock(viewer)
    qtbot.waitUntil(lambda: widget.close_guard is not None, timeout=5_000)  # once shown
    window = widget.window()
    assert window is viewer.window._qt_window
    active = viewer.layers["kitchen demo active"]
    viewer.dims.set_current_step(0, 4)
    active.paint((4, 20, 20), 1)
    asked: list[str] = []
    answers = iter([QMessageBox.Cancel, QMessageBox.Save])

    def question(parent, title, text, buttons, default):
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    window.close()  # Cancel: the window stays, nothing is lost
    assert window.isVisible() and len(asked) == 1 and "not saved" in asked[0]
    assert widget.session.unsaved

    widget.store_box.path.setText(str(tmp_path / "kitchen.actionvos"))
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        window.close()  # Save: saves in a worker, then closes
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert len(asked) == 2 and not widget.session.unsaved
    with Store.open(tmp_path / "kitchen.actionvos", read_only=True) as store:
        assert store.frame_state(4).value == "human-verified"
