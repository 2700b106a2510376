"""Action-guided weight maps: raw values per rule, and the loader mapping to {1, 2, 5}."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from actionvos.errors import InputError
from actionvos.labeling import (
    PAPER_LAMBDAS,
    ActionWeights,
    criterion_mask,
    criterion_weights,
    label_objects,
    raw_weight_map,
    raw_weight_maps,
)

DATA = Path(__file__).parent / "data"


def frame() -> np.ndarray:
    """1 narration object (cols 0-3), 2 hand-object (cols 5-6), 3 other (cols 8-9), 6x10."""
    f = np.zeros((6, 10), dtype=np.int64)
    f[0:4, 0:4] = 1
    f[0:4, 5:7] = 2
    f[0:4, 8:10] = 3
    return f


def test_frame_with_hand_object_boxes() -> None:
    hom = np.zeros((6, 10), dtype=bool)
    hom[1:3, 5:7] = True  # the hand-object mask covers part of object 2 ...
    hom[5, 5] = True  # ... and one background pixel
    box = (2, 0, 7, 6)  # cols 2-6, all rows: half of 1, all of 2, no pixel of 3
    raw = raw_weight_map(frame(), [True, False, False], [True, True, False], [box], hom)
    expected = np.ones((6, 10), dtype=np.uint8)
    expected[0:4, 0:2] = 2  # narration object outside the box
    expected[0:4, 2:4] = 4  # narration object inside the box: doubled
    expected[1:3, 5:7] = 2  # touching object, unset, inside the hand-object mask
    expected[5, 5] = 2  # background inside the hand-object mask
    expected[0:4, 8:10] = 3  # touches no box in this frame: negative
    assert raw.dtype == np.uint8
    np.testing.assert_array_equal(raw, expected)


def test_frame_without_boxes_uses_clip_flags() -> None:
    # object 2 is positive (it touched a box in another frame), object 3 is not
    raw = raw_weight_map(frame(), [True, False, False], [True, True, False])
    expected = np.ones((6, 10), dtype=np.uint8)
    expected[0:4, 0:4] = 2
    expected[0:4, 8:10] = 3
    np.testing.assert_array_equal(raw, expected)
    # a hand-object mask without boxes gives boxes (one per component)
    hom = np.zeros((6, 10), dtype=np.uint8)
    hom[0:2, 5:7] = 1
    raw = raw_weight_map(frame(), [True, False, False], [True, True, False], None, hom)
    assert raw[0, 5] == 2 and raw[3, 5] == 1 and raw[0, 0] == 2 and raw[0, 8] == 3


def test_clip_maps_from_labels() -> None:
    masks = np.stack([frame(), frame()])
    boxes = [[(5, 0, 7, 1)], None]
    labels = label_objects(masks, ["bowl", "spoon", "sponge"], "wash bowl", hand_object_boxes=boxes)
    assert [lb.positive for lb in labels] == [True, True, False]
    raw = raw_weight_maps(masks, labels, hand_object_boxes=boxes)
    assert raw.shape == (2, 6, 10)
    assert raw[0, 0, 5] == 1 and raw[0, 0, 8] == 3 and raw[0, 0, 0] == 2
    assert raw[1, 0, 5] == 1 and raw[1, 0, 8] == 3
    with pytest.raises(InputError, match="2 labels"):
        raw_weight_maps(masks, labels[:2])


def test_loader_mapping_to_criterion_values() -> None:
    raw = np.array([[1, 2, 3, 4], [1, 2, 3, 4]], dtype=np.uint8)
    obj = np.array([[1, 1, 1, 1], [0, 0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(criterion_weights(raw, obj), [[1, 2, 5, 5], [1, 1, 1, 1]])
    np.testing.assert_array_equal(criterion_mask(raw, obj), [[1, 1, 0, 1], [0, 0, 0, 0]])
    assert not criterion_mask(raw, obj, positive=False).any()
    custom = ActionWeights(other=1, hand_or_narration=3, negative=7, hand_and_narration=9)
    np.testing.assert_array_equal(criterion_weights(raw, obj, custom)[0], [1, 3, 7, 9])
    assert (PAPER_LAMBDAS.hand_and_narration, PAPER_LAMBDAS.hand_or_narration) == (5, 2)
    assert PAPER_LAMBDAS.negative == 5 and PAPER_LAMBDAS.other == 1
    with pytest.raises(InputError, match="differ in size"):
        criterion_weights(raw, obj[:, :2])


def test_mapping_reproduces_the_loss_fixture_targets() -> None:
    meta = json.loads((DATA / "fixture_r50_loss.json").read_text())
    assert "weight = 5 where weight >= 3" in " ".join(meta["dataset_mapping_raw_to_criterion"])
    data = load_file(DATA / "fixture_r50_loss.safetensors")
    n_caps = len(meta["scenarios"])
    for i in range(n_caps):
        raw = data[f"targets.cap{i}.weights_raw"]
        weights = data[f"targets.cap{i}.weights"]
        mask = data[f"targets.cap{i}.masks"]
        positive = bool(data[f"targets.cap{i}.positive"].any())
        # the object's own pixels are where a weight survived, plus its target mask
        obj = (weights != 1) | (mask > 0)
        for t in range(raw.shape[0]):
            np.testing.assert_array_equal(criterion_weights(raw[t], obj[t]), weights[t])
            np.testing.assert_array_equal(criterion_mask(raw[t], obj[t], positive), mask[t])
        assert sorted(np.unique(weights).tolist()) == meta["weights_unique_per_caption"][i]


def test_bad_frames_are_explained() -> None:
    with pytest.raises(InputError, match="2-D integer"):
        raw_weight_map(frame().astype(float), [True] * 3, [True] * 3)
    with pytest.raises(InputError, match="only 2 narration flags"):
        raw_weight_map(frame(), [True, False], [True] * 3)
