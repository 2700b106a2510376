"""Pure layer helpers: splitting by activity, recombining, memory budget."""

from __future__ import annotations

import numpy as np
import pytest

from actionvos.errors import InputError
from actionvos_napari.layers.convert import merge_roles, split_active
from actionvos_napari.layers.model_output import check_layer_budget
from actionvos_napari.segment.action_box import parse_objects


def test_split_and_merge_round_trip() -> None:
    masks = np.array([[[0, 1, 2], [3, 3, 0]]], np.uint8)
    active, inactive = split_active(masks, [True, False, True])
    np.testing.assert_array_equal(active, [[[0, 1, 0], [3, 3, 0]]])
    np.testing.assert_array_equal(inactive, [[[0, 0, 2], [0, 0, 0]]])
    np.testing.assert_array_equal(merge_roles(active, inactive), masks)


def test_parse_objects() -> None:
    assert parse_objects(" knife,  chopping   board ; apple ,") == [
        "knife",
        "chopping board",
        "apple",
    ]
    with pytest.raises(InputError, match="at least one"):
        parse_objects(" , ")
    with pytest.raises(InputError, match="repeated: cup"):
        parse_objects("cup, cup")


def test_layer_budget_refuses_a_long_clip_before_any_work() -> None:
    check_layer_budget(48, 360, 640)
    with pytest.raises(InputError, match="actionvos predict"):
        check_layer_budget(18000, 1080, 1920)
