"""Action-aware labeling: which objects of an action are active, and why.

The rules follow ActionVOS's ``data_prepare_visor.py`` (see ``RULES.md`` beside this file):
an object is *positive* when it touches a hand-object box in any frame of the action, or is
named in the narration; the hands themselves always count. ``weights`` turns the flags into the
action-guided weight maps the training loss uses.
"""

from actionvos.labeling.narration import narration_classes, narration_mentions
from actionvos.labeling.rules import (
    REASON_CONTACT,
    REASON_HAND,
    REASON_HAND_OBJECT_BOX,
    REASON_HAND_OBJECT_MASK,
    REASON_NARRATION,
    RULE_CONTACT,
    RULE_OFFICIAL,
    ObjectLabel,
    label_objects,
)
from actionvos.labeling.vocabulary import EpicNouns, load_epic_nouns
from actionvos.labeling.weights import (
    PAPER_LAMBDAS,
    ActionWeights,
    criterion_mask,
    criterion_weights,
    raw_weight_map,
    raw_weight_maps,
)

__all__ = [
    "PAPER_LAMBDAS",
    "REASON_CONTACT",
    "REASON_HAND",
    "REASON_HAND_OBJECT_BOX",
    "REASON_HAND_OBJECT_MASK",
    "REASON_NARRATION",
    "RULE_CONTACT",
    "RULE_OFFICIAL",
    "ActionWeights",
    "EpicNouns",
    "ObjectLabel",
    "criterion_mask",
    "criterion_weights",
    "label_objects",
    "load_epic_nouns",
    "narration_classes",
    "narration_mentions",
    "raw_weight_map",
    "raw_weight_maps",
]
