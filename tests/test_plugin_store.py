"""Saving reviewed layers into a label store, from the widget and from File › Save."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from actionvos.store import FrameState, Source, Store

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("gui_display")]


def _widget(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    return widget


def _save(widget, qtbot, path) -> None:
    widget.store_box.path.setText(str(path))
    worker = widget.save()
    assert worker is not None, widget.status.text()
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass


def _tree_hash(root) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def test_sample_edits_and_flags_reach_the_store(make_napari_viewer, qtbot, tmp_path) -> None:
    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    widget = _widget(viewer)
    active = viewer.layers["kitchen demo active"]
    inactive = viewer.layers["kitchen demo inactive"]
    names = active.metadata["actionvos"]["object_names"]
    flags = active.metadata["actionvos"]["active"]
    store_path = tmp_path / "kitchen.actionvos"

    _save(widget, qtbot, store_path)
    assert "saved" in widget.status.text(), widget.status.text()
    merged = np.where(active.data > 0, active.data, inactive.data)
    with Store.open(store_path, read_only=True) as store:
        assert [o.name for o in store.objects()] == names
        np.testing.assert_array_equal(store.read_frame(10), merged[10])
        assert store.frame_state(10) is FrameState.PSEUDO
        (action,) = store.actions()
        assert action.narration == active.metadata["actionvos"]["narration"]
        acts = store.activity(action.id)
        assert [acts[store.object_id(n)].active for n in names] == flags
        assert {a.source for a in acts.values()} == {Source.RULE}

    # a person paints on frame 5 and marks the first inactive object as active
    viewer.dims.set_current_step(0, 5)
    active.paint((5, 20, 20), 1)
    k = flags.index(False)
    widget.table.item(k, 2).setCheckState(2)
    _save(widget, qtbot, store_path)
    with Store.open(store_path, read_only=True) as store:
        assert store.frame_state(5) is FrameState.HUMAN
        assert store.frame_state(6) is FrameState.PSEUDO
        assert store.read_frame(5)[20, 20] == store.object_id(names[0])
        record = store.activity(store.actions()[0].id)[store.object_id(names[k])]
        assert record.active is True and record.source is Source.HUMAN
        assert store.can_undo
    assert widget.session.unsaved is False


def test_writer_contribution_and_a_store_of_another_clip(make_napari_viewer, tmp_path) -> None:
    import napari

    viewer = make_napari_viewer()
    viewer.open_sample("actionvos-napari", "kitchen")
    layers = [viewer.layers["kitchen demo active"], viewer.layers["kitchen demo inactive"]]
    path = tmp_path / "demo.actionvos"
    written = napari.save_layers(str(path), layers, plugin="actionvos-napari")
    assert written == [str(path)]
    with Store.open(path, read_only=True) as store:
        assert store.shape == layers[0].data.shape

    other = tmp_path / "other.actionvos"
    Store.create(other, n_frames=3, height=8, width=8).close()
    before = _tree_hash(other)
    from actionvos.errors import StoreError
    from actionvos_napari.writers import write_store

    data = [(lyr.data, {"metadata": lyr.metadata}, "labels") for lyr in layers]
    with pytest.raises(StoreError, match="choose another store path"):
        write_store(str(other), data)
    assert _tree_hash(other) == before
