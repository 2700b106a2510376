"""The order in which the widget asks a person to review the objects of an action.

First the objects that are positive *only* because they touch a hand-object box (not named
in the narration): the model has to infer those from the image alone and gets them wrong
most often. Then the rest, the probability nearest the gate θ first: those are the flags
a small change would flip. Within the first group the same nearness decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from actionvos.errors import InputError
from actionvos.labeling.rules import ObjectLabel


def box_only(labels: Sequence[ObjectLabel]) -> list[bool]:
    """Per object: positive by the hand-object box rule and not named in the narration."""
    return [bool(lab.handbox and not lab.narration) for lab in labels]


def review_order(
    positive: Sequence[float | None], threshold: float, box_only_flags: Sequence[bool]
) -> list[int]:
    """Object indices (0-based) in review order; see the module docstring. Objects with no
    probability (labelled by rules or by hand, never scored) come last in their group."""
    if len(positive) != len(box_only_flags):
        raise InputError(
            f"{len(positive)} probabilities but {len(box_only_flags)} box flags; give one of "
            "each per object"
        )

    def key(k: int) -> tuple[bool, float, int]:
        p = positive[k]
        nearness = float("inf") if p is None else abs(float(p) - threshold)
        return (not box_only_flags[k], nearness, k)

    return sorted(range(len(positive)), key=key)
