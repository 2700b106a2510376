"""The order in which **Next to review** visits objects.

Annotators most often flip two kinds of label: objects made positive only by the hand-object
box rule (a cup behind the hand touches the box but takes no part in the action), and objects
whose probability sits close to θ. So those come first: the box-only positives, then the rest
by distance of their probability from θ; objects without a probability come last.
"""

from __future__ import annotations

from actionvos.annotation.review import review_order as core_review_order
from actionvos.labeling.rules import (
    REASON_CONTACT,
    REASON_HAND_OBJECT_BOX,
    REASON_HAND_OBJECT_MASK,
)
from actionvos_napari.segment.objects_table import ObjectRows

RULE_PREFIX = "rule: "
BOX_RULES = {REASON_HAND_OBJECT_BOX, REASON_HAND_OBJECT_MASK, REASON_CONTACT}


def box_only(reasons: list[str]) -> bool:
    """True when the labeling rules make the object positive by the hand-box rule alone."""
    rules = {r[len(RULE_PREFIX) :] for r in reasons if r.startswith(RULE_PREFIX)}
    return bool(rules) and rules <= BOX_RULES


def review_order(rows: ObjectRows, threshold: float) -> list[int]:
    """Object indices, most likely to need a flip first: the simulated annotator's order
    (:func:`actionvos.annotation.review.review_order`), told the box rule by the reasons."""
    flags = [box_only(reasons) for reasons in rows.reasons]
    return core_review_order(rows.probs, threshold, flags)


def next_to_review(rows: ObjectRows, threshold: float) -> int | None:
    """The first object in :func:`review_order` not reviewed yet; None when all are."""
    for index in review_order(rows, threshold):
        if index not in rows.reviewed:
            return index
    return None
