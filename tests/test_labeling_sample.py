"""The labeling rules recover the synthetic sample's ground-truth flags."""

from __future__ import annotations

import numpy as np
import pytest

from actionvos.labeling import label_objects, raw_weight_maps
from actionvos.sample import make_kitchen_clip

SEEDS = range(8)


@pytest.fixture(scope="module")
def clips():
    return {s: make_kitchen_clip(s, n_frames=8, size=(120, 160)) for s in SEEDS}


@pytest.mark.parametrize("seed", SEEDS)
def test_official_rule_matches_ground_truth(clips, seed: int) -> None:
    c = clips[seed]
    labels = label_objects(
        c.masks,
        c.object_names,
        c.narration,
        class_ids=c.class_ids,
        action_noun_classes=c.all_noun_classes,
        hand_object_boxes=c.hand_object_boxes,
        hand_masks=c.hand_masks,
    )
    assert [lb.positive for lb in labels] == c.active
    assert [lb.narration for lb in labels] == c.in_narration
    assert [lb.handbox for lb in labels] == c.in_handbox
    assert not any(lb.contact for lb in labels)  # boxes exist: the contact rule stays off


@pytest.mark.parametrize("seed", SEEDS)
def test_free_text_rule_agrees_on_the_sample(clips, seed: int) -> None:
    c = clips[seed]
    labels = label_objects(
        c.masks, c.object_names, c.narration, hand_object_boxes=c.hand_object_boxes
    )
    assert [lb.narration for lb in labels] == c.in_narration, c.narration
    assert [lb.positive for lb in labels] == c.active


def test_contact_rule_finds_every_held_object(clips) -> None:
    for c in clips.values():
        labels = label_objects(c.masks, c.object_names, c.narration, hand_masks=c.hand_masks)
        for lb, held in zip(labels, c.in_handbox, strict=True):
            if held:
                assert lb.contact and lb.positive, (c.seed, lb.name)


def test_weight_maps_on_the_sample(clips) -> None:
    c = clips[3]
    labels = label_objects(
        c.masks,
        c.object_names,
        c.narration,
        class_ids=c.class_ids,
        action_noun_classes=c.all_noun_classes,
        hand_object_boxes=c.hand_object_boxes,
    )
    raw = raw_weight_maps(c.masks, labels, hand_object_boxes=c.hand_object_boxes)
    assert raw.shape == c.masks.shape and set(np.unique(raw)) <= {1, 2, 3, 4}
    for k, lb in enumerate(labels, start=1):
        values = set(np.unique(raw[c.masks == k]).tolist())
        if lb.narration:
            assert values <= {2, 4}, lb.name
        elif not lb.positive:
            assert values <= {3}, lb.name
    assert (raw[c.masks == 0] == 1).all()  # no hand-object masks given: background stays 1
