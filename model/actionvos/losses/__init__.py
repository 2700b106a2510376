"""ActionVOS training losses: focal/dice, boxes, query matching and the full criterion."""

from actionvos.losses.boxes import (
    box_cxcywh_to_xyxy,
    box_xyxy_to_cxcywh,
    generalized_box_iou,
    mask_box_cxcywh,
)
from actionvos.losses.criterion import (
    BASE_WEIGHTS,
    ActionVOSCriterion,
    CriterionResult,
    LossSettings,
)
from actionvos.losses.focal import dice_loss, sigmoid_focal_loss
from actionvos.losses.matcher import MatchCosts, match_queries
from actionvos.losses.targets import clip_target

__all__ = [
    "BASE_WEIGHTS",
    "ActionVOSCriterion",
    "CriterionResult",
    "LossSettings",
    "MatchCosts",
    "box_cxcywh_to_xyxy",
    "box_xyxy_to_cxcywh",
    "clip_target",
    "dice_loss",
    "generalized_box_iou",
    "mask_box_cxcywh",
    "match_queries",
    "sigmoid_focal_loss",
]
