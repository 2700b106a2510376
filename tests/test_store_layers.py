"""``Store.save_layers``, the core of the napari writer: names map layer values to objects,
only changed frames are written, and one call is one undo step."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from store_synthetic import new_store

from actionvos.errors import Cancelled, InputError
from actionvos.store import FrameState, Source, Store


def test_layers_are_saved_by_name_as_one_correction(tmp_path):
    store = new_store(tmp_path)
    knife = store.add_object("knife", 4)
    action = store.add_action("cut onion", 0, 10)
    planes = np.zeros((2, 54, 96), np.int32)
    planes[0, :10, :10] = 5  # layer value 5 is the knife
    planes[1, 20:30, 20:30] = 7  # layer value 7 is a new object
    changed = store.save_layers(
        planes,
        {5: "knife", 7: "bowl"},
        frames=[3, 4],
        action_id=action,
        active={"bowl": True, 5: False},
        class_ids={7: 31},
    )
    assert changed == [3, 4] and not store.dirty
    bowl = store.object_id("bowl")
    assert bowl == 7 and store.object(bowl).class_id == 31  # kept the layer value as its id
    assert store.read_frame(3)[0, 0] == knife and store.read_frame(4)[25, 25] == bowl
    flags = store.activity(action)
    assert flags[bowl].active is True and flags[knife].active is False
    assert flags[bowl].source is Source.HUMAN
    assert store.frame_state(3) is FrameState.HUMAN
    assert len(store.history()) == 1
    with Store.open(store.path, read_only=True) as reader:  # saved, not just staged
        assert reader.read_frame(4)[25, 25] == bowl

    assert store.save_layers({3: planes[0]}, {5: "knife"}) == []  # nothing new to write
    store.undo()
    assert not store.read_frame(3).any() and not store.read_frame(4).any()
    assert bowl not in store.activity(action) and knife not in store.activity(action)
    store.close()


def test_bad_layer_calls_write_nothing(tmp_path):
    with new_store(tmp_path) as store:
        plane = np.zeros((54, 96), np.uint16)
        plane[0, 0] = 3
        with pytest.raises(InputError, match="both named"):
            store.save_layers({0: plane}, {3: "cup", 4: "cup"})
        with pytest.raises(InputError, match="action they belong to"):
            store.save_layers({0: plane}, {3: "cup"}, active={"cup": True})
        with pytest.raises(InputError, match="not objects"):
            store.save_layers({0: plane}, {})
        with pytest.raises(InputError, match="frames"):
            store.save_layers(np.zeros((3, 54, 96), np.uint16), {})
        stop = threading.Event()
        stop.set()
        with pytest.raises(Cancelled):
            store.save_layers({0: plane}, {3: "cup"}, cancel=stop)
        assert store.objects() == [] and store.labelled_frames() == []
