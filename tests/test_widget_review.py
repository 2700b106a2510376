"""Review in the widget: sortable table, row selects the label, Next to review order."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from widget_support import dock, fill_action, random_clip, tiny_model

from actionvos_napari.review.actions import confidence_message
from actionvos_napari.review.order import box_only, review_order
from actionvos_napari.segment.objects_table import ObjectRows

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny")


def test_order_puts_box_only_positives_first_then_nearest_theta() -> None:
    rows = ObjectRows(
        names=["knife", "apple", "cup", "bowl", "pan"],
        probs=[0.9, 0.74, 0.2, None, 0.6],
        active=[True, False, True, False, False],
        reasons=[
            ["model p=0.90 ≥ θ=0.75", "rule: named in the narration"],
            ["model p=0.74 < θ=0.75"],
            ["model p=0.20 < θ=0.75", "rule: touches a hand-object box"],
            [],
            ["rule: touches a hand-object box", "rule: named in the narration"],
        ],
    )
    assert [box_only(r) for r in rows.reasons] == [False, False, True, False, False]
    assert review_order(rows, 0.75) == [2, 1, 0, 4, 3]
    assert review_order(rows, 0.5) == [2, 4, 1, 0, 3]


def test_next_to_review_says_what_a_blank_object_s_confidence_means() -> None:
    # a blank object scores how sure the model is that it is absent, not a mask's quality
    assert confidence_message("lid", 3, 1.0, drawn=False) == (
        "lid has no mask on any frame, and nothing suggests it is there"
    )
    blank = confidence_message("lid", 3, 0.4, drawn=False)
    assert "frame 3 is where it most likely appears" in blank and "0.40" in blank
    assert confidence_message("pan", 2, 1.0, drawn=True).startswith(
        "pan: no frame looks doubtful (lowest confidence 1.00, frame 2)"
    )
    assert confidence_message("pan", 2, 0.31, drawn=True) == (
        "pan: its least confident frame, 2 (confidence 0.31)"
    )


def test_table_sorts_and_a_row_selects_its_label(make_napari_viewer, qtbot, model_dir) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(5), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple, bowl", threshold=0.0)
    with qtbot.waitSignal(widget.run_done, timeout=120_000):
        qtbot.mouseClick(widget.run_button, Qt.LeftButton)
    active = viewer.layers["clip active"]
    data = np.asarray(active.data)
    assert data.max() > 0, widget.status.text()

    table = widget.table
    header = table.horizontalHeader()
    probs = list(widget.rows.probs)
    for order in (1, -1):  # first click sorts ascending, the second descending
        qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=_section_centre(header, 1))
        shown = [table.index_at(r) for r in range(table.rowCount())]
        assert shown == sorted(range(3), key=lambda i: order * probs[i])

    # click the row showing the object with most pixels: its label and first frame come up
    k = int(np.bincount(data.ravel(), minlength=4)[1:].argmax()) + 1
    row = table.row_of(k - 1)
    rect = table.visualItemRect(table.item(row, 0))
    viewer.dims.set_current_step(0, 4)
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    first = int(np.flatnonzero((data == k).any(axis=(1, 2)))[0])
    assert active.selected_label == k
    assert viewer.layers.selection.active is active
    assert viewer.dims.current_step[0] == first

    # ticking Active in a sorted table toggles the object that row shows
    table.check(k - 1, False)
    assert not np.any(np.asarray(active.data) == k)
    assert not widget.rows.active[k - 1]


def test_next_to_review_walks_the_order_and_records_it(
    make_napari_viewer, qtbot, model_dir
) -> None:
    viewer = make_napari_viewer()
    viewer.add_image(random_clip(4, seed=3), name="clip", rgb=True)
    widget = dock(viewer)
    fill_action(widget, model_dir, "cut apple", "knife, apple, bowl", threshold=0.0)
    with qtbot.waitSignal(widget.run_done, timeout=120_000):
        qtbot.mouseClick(widget.run_button, Qt.LeftButton)
    assert np.asarray(viewer.layers["clip active"].data).max() > 0
    theta = float(np.median(widget.rows.probs))
    widget.action_box.threshold.value = round(theta, 2)
    theta = widget.action_box.threshold.value
    expected = review_order(widget.rows, theta)
    visited = []
    for _ in range(3):
        qtbot.mouseClick(widget.next_button, Qt.LeftButton)
        index = widget.table.index_at(widget.table.currentRow())
        visited.append(index)
        assert "✓" in widget.table.item(widget.table.row_of(index), 0).text()
        layer = viewer.layers.selection.active
        assert layer.selected_label == index + 1
    assert visited == expected
    assert widget.rows.reviewed == {0, 1, 2}
    assert viewer.layers["clip active"].metadata["actionvos"]["reviewed"] == [0, 1, 2]
    qtbot.mouseClick(widget.next_button, Qt.LeftButton)
    assert "every object has been reviewed" in widget.status.text()


def _section_centre(header, section: int):
    from qtpy.QtCore import QPoint

    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    return QPoint(x, header.height() // 2)
