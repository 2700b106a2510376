"""ActionVOS evaluation: the six official figures, on arrays or on the official folder layout."""

from actionvos.metrics.folders import SplitSequence, evaluate_folders, load_split
from actionvos.metrics.scores import (
    FIGURES,
    ActionVOSScores,
    MetricAccumulator,
    ObjectSample,
    mask_iou,
    summarise,
)

__all__ = [
    "FIGURES",
    "ActionVOSScores",
    "MetricAccumulator",
    "ObjectSample",
    "SplitSequence",
    "evaluate_folders",
    "load_split",
    "mask_iou",
    "summarise",
]
