"""Action-aware flags and provenance, on small hand-drawn clips."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from actionvos.errors import Cancelled, InputError
from actionvos.labeling import (
    REASON_CONTACT,
    REASON_HAND,
    REASON_HAND_OBJECT_BOX,
    REASON_HAND_OBJECT_MASK,
    REASON_NARRATION,
    label_objects,
)

NAMES = ["left hand", "knife", "onion", "plate"]


def clip() -> np.ndarray:
    """Two 10x12 frames: hand (1) left, knife (2) middle, onion (3) right, plate (4) bottom."""
    m = np.zeros((2, 10, 12), dtype=np.int32)
    m[:, 0:3, 0:3] = 1
    m[:, 0:3, 5:7] = 2
    m[:, 0:3, 9:12] = 3
    m[:, 7:10, 4:8] = 4
    return m


def by_name(labels):
    return {lb.name: lb for lb in labels}


def test_official_flags_with_boxes_and_class_ids() -> None:
    # frame 0: box over the knife only; frame 1: no annotation. Action names the onion (16).
    boxes = [[(4, 0, 8, 4)], None]
    labels = by_name(
        label_objects(
            clip(),
            NAMES,
            "slice onion",
            class_ids=[300, 4, 16, 2],
            action_noun_classes=[16],
            hand_object_boxes=boxes,
        )
    )
    hand, knife, onion, plate = (labels[n] for n in NAMES)
    assert (hand.handbox, hand.narration, hand.positive) == (True, False, True)
    assert hand.reasons == [REASON_HAND]
    assert (knife.handbox, knife.narration, knife.positive) == (True, False, True)
    assert knife.reasons == [REASON_HAND_OBJECT_BOX] and knife.box_frames == [0]
    assert (onion.handbox, onion.narration, onion.positive) == (False, True, True)
    assert onion.reasons == [REASON_NARRATION]
    assert (plate.handbox, plate.narration, plate.positive) == (False, False, False)
    assert plate.reasons == [] and not plate.contact
    assert plate.official_record() == {
        "name": "plate",
        "class_id": 2,
        "handbox": 0,
        "narration": 0,
        "positive": 0,
        "rule": "official",
    }


def test_box_end_is_exclusive_and_any_frame_counts() -> None:
    m = clip()
    # The plate spans columns 4..7 of rows 7..9: a box ending at row 7 does not touch it ...
    near = label_objects(m, NAMES, "wash plate", hand_object_boxes=[[(0, 5, 12, 7)], []])
    assert not by_name(near)["plate"].handbox
    # ... one ending at row 8 does, and only in frame 1 is enough.
    touch = label_objects(m, NAMES, "take knife", hand_object_boxes=[[], [(0, 5, 12, 8)]])
    plate = by_name(touch)["plate"]
    assert plate.handbox and plate.positive and plate.box_frames == [1]
    assert not plate.narration


def test_free_text_narration_when_ids_are_unknown() -> None:
    labels = by_name(label_objects(clip(), NAMES, "put onions on plate"))
    assert labels["onion"].narration and labels["plate"].narration
    assert labels["onion"].narration_text == "onions"
    assert not labels["knife"].narration
    assert labels["left hand"].positive and not labels["left hand"].narration


def test_class_ids_without_action_classes_read_the_narration() -> None:
    labels = by_name(label_objects(clip(), NAMES, "wash dish", class_ids=[300, 4, 16, 2]))
    assert labels["plate"].narration and not labels["onion"].narration


def test_hand_object_mask_gives_boxes_and_a_reason() -> None:
    hom = np.zeros((2, 10, 12), dtype=np.uint8)
    hom[0, 1:2, 10:11] = 1  # one pixel on the onion in frame 0
    labels = by_name(label_objects(clip(), NAMES, "take knife", hand_object_masks=hom))
    onion = labels["onion"]
    assert onion.handbox and onion.positive
    assert onion.reasons == [REASON_HAND_OBJECT_BOX, REASON_HAND_OBJECT_MASK]
    assert onion.hand_object_mask_frames == [0]
    assert not labels["plate"].positive


def test_contact_rule_only_without_hand_object_annotations() -> None:
    m = clip()
    m[1, 3:5, 0:3] = 4  # frame 1: the plate moves right under the hand (rows 3-4)
    m[1, 7:10, 4:8] = 0
    labels = by_name(label_objects(m, NAMES, "take something"))
    plate = labels["plate"]
    assert plate.contact and plate.positive and plate.contact_frames == [1]
    assert plate.reasons == [REASON_CONTACT]
    # knife: columns 5.. vs hand columns ..2 -> 3 px apart, within the default 3 px
    assert labels["knife"].contact
    assert not labels["onion"].contact  # 7 px away
    tight = by_name(label_objects(m, NAMES, "take something", contact_px=2))
    assert not tight["knife"].contact and tight["plate"].contact
    off = by_name(label_objects(m, NAMES, "take something", contact_px=None))
    assert not off["plate"].positive
    # With any hand-object annotation the official box rule alone decides.
    boxed = by_name(
        label_objects(m, NAMES, "take something", hand_object_boxes=[[], [(9, 0, 12, 1)]])
    )
    assert not boxed["plate"].contact and not boxed["plate"].positive
    assert boxed["onion"].positive
    assert plate.rule == "contact" and boxed["onion"].rule == "official"
    assert labels["left hand"].rule == "official"  # positive by the official hand rule


def test_an_action_without_boxes_in_a_clip_with_boxes_keeps_the_official_rule() -> None:
    # The case: the store has hand-object boxes, but none on this action's frames.
    m = clip()
    m[1, 3:5, 0:3] = 4  # the plate touches the hand, which the contact rule would count
    m[1, 7:10, 4:8] = 0
    official = by_name(label_objects(m, NAMES, "take something", clip_has_hand_objects=True))
    assert not official["plate"].contact and not official["plate"].positive
    assert official["plate"].official_record()["positive"] == 0
    assert official["plate"].rule == "official"
    assert official["left hand"].positive  # hands stay positive, as in data_prepare_visor.py
    assert not official["knife"].positive and not official["onion"].positive
    # A clip that really has no annotations keeps the fallback, and says so.
    fallback = by_name(label_objects(m, NAMES, "take something", clip_has_hand_objects=False))
    assert fallback["plate"].positive and fallback["plate"].rule == "contact"
    assert fallback["plate"].official_record()["rule"] == "contact"
    with pytest.raises(InputError, match="clip_has_hand_objects is False"):
        label_objects(
            m, NAMES, "x", hand_object_boxes=[[(0, 0, 2, 2)], []], clip_has_hand_objects=False
        )


def test_contact_rule_with_separate_hand_masks() -> None:
    m = clip()
    m[m == 1] = 0
    hands = np.zeros_like(m)
    hands[:, 4:6, 5:7] = 2  # a right hand just below the knife (rows 0-2)
    labels = by_name(label_objects(m, NAMES, "hold", hand_masks=hands, contact_px=2))
    assert labels["knife"].contact and not labels["onion"].contact
    with pytest.raises(InputError, match="hand_masks has shape"):
        label_objects(m, NAMES, "hold", hand_masks=hands[:, :5])


def test_bad_inputs_are_explained() -> None:
    m = clip()
    with pytest.raises(InputError, match="id k must name"):
        label_objects(m, NAMES[:3], "take knife")
    with pytest.raises(InputError, match="integer instance ids"):
        label_objects(m.astype(float), NAMES, "take knife")
    with pytest.raises(InputError, match="one list of boxes per frame"):
        label_objects(m, NAMES, "take knife", hand_object_boxes=[[(0, 0, 1, 1)]])
    with pytest.raises(InputError, match=r"not \(x, y, w, h\)"):
        label_objects(m, NAMES, "take knife", hand_object_boxes=[[(5, 5, 2, 2)], []])
    with pytest.raises(InputError, match="4 numbers"):
        label_objects(m, NAMES, "take knife", hand_object_boxes=[[(5, 5, 2)], []])
    with pytest.raises(InputError, match="hand_object_masks has shape"):
        label_objects(m, NAMES, "take knife", hand_object_masks=np.zeros((2, 4, 4)))
    with pytest.raises(InputError, match="class_ids has 2 entries"):
        label_objects(m, NAMES, "take knife", class_ids=[1, 2])


def test_contact_search_reports_progress_and_cancels() -> None:
    seen: list[tuple[int, int]] = []
    label_objects(clip(), NAMES, "take knife", progress=lambda i, n, _: seen.append((i, n)))
    assert seen == [(1, 2), (2, 2)]
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        label_objects(clip(), NAMES, "take knife", cancel=stop)
