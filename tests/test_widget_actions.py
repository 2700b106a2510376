"""A store with several actions: the picker shows them, switching re-splits the masks by that
action's flags (one Ctrl-Z back), and a flag changed after a switch is saved to that action."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt
from widget_support import ctrl_z, dock

from actionvos.sample import make_kitchen_clip, write_sample
from actionvos.sample.label_store import write_clip_store
from actionvos.store import Source, Store

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


@pytest.fixture
def two_actions(tmp_path):
    clip = make_kitchen_clip(4, n_frames=6, size=(120, 160))
    frames = write_sample(clip, tmp_path / "clip", video=False, masks=False)["frames"]
    path = write_clip_store(clip, tmp_path / "clip.actionvos", clip_path=frames, video="clip")
    with Store.open(path) as store:
        first = store.actions()[0]
        flags = {k: r.active for k, r in store.activity(first.id).items()}
        second = store.add_action("wash the table", 0, 5)
        for oid, was in flags.items():  # the opposite of the first action, by a person
            store.set_activity(second, oid, not was, source=Source.HUMAN)
    return path, first, flags, second


def test_switching_actions_resplits_the_masks_and_saves_to_the_chosen_action(
    make_napari_viewer, qtbot, two_actions
) -> None:
    path, first, flags, second = two_actions
    viewer = make_napari_viewer()
    viewer.open(str(path), plugin="actionvos-napari")
    widget = dock(viewer)
    picker = widget.action_box.store_action
    assert not picker.native.isHidden()  # shown: there is a choice to make
    assert list(picker.choices) == [first.id, second]
    assert picker.value == second  # the newest action opens first
    pair = widget.pair
    merged = np.where(pair.active.data > 0, pair.active.data, pair.inactive.data)
    assert widget.rows.active == [not flags[k] for k in sorted(flags)]

    picker.value = first.id  # as choosing it in the combo box does
    assert widget.action_box.narration.value == first.narration
    box = widget.action_box
    assert (box.first.value, box.last.value) == (first.start_frame, first.end_frame)
    assert widget.rows.active == [flags[k] for k in sorted(flags)]
    for k, on in flags.items():  # each object now sits in the layer its flag says
        layer, other = (pair.active, pair.inactive) if on else (pair.inactive, pair.active)
        assert np.array_equal(np.asarray(layer.data) == k, merged == k)
        assert not (np.asarray(other.data) == k).any()
    assert pair.active.metadata["actionvos"]["action_id"] == first.id

    ctrl_z(viewer, pair.active, qtbot)  # one Ctrl-Z: back to the second
    assert widget.rows.active == [not flags[k] for k in sorted(flags)]
    assert widget.action_box.narration.value == "wash the table"
    assert picker.value == second
    assert widget.session.unsaved  # an undo is an edit to save, as every undo is
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        qtbot.mouseClick(widget.store_box.save_button, Qt.LeftButton)

    picker.value = first.id
    assert widget.action_box.narration.value == first.narration
    k0 = sorted(flags)[0]
    widget.table.check(k0 - 1, not flags[k0])  # a person flips one flag of the first action
    assert widget.session.unsaved
    picker.value = second  # refused: the flip is not saved yet
    assert "Save first" in widget.status.text()
    qtbot.waitUntil(lambda: picker.value == first.id, timeout=2_000)
    with qtbot.waitSignal(widget.save_done, timeout=60_000):
        qtbot.mouseClick(widget.store_box.save_button, Qt.LeftButton)
    with Store.open(path, read_only=True) as store:
        saved_first = store.activity(first.id)
        saved_second = store.activity(second)
    assert saved_first[k0].active is (not flags[k0]) and saved_first[k0].source is Source.HUMAN
    assert {k: r.active for k, r in saved_second.items()} == {k: not v for k, v in flags.items()}

    picker.value = second  # saved now: the switch goes through, and back shows the flip
    picker.value = first.id
    assert widget.rows.active[k0 - 1] is (not flags[k0])
