"""Our PyTorch implementation of the ActionVOS network (ReferFormer + positive head)."""

from .actionvos_net import ActionVOSNet
from .config import BACKBONES, OFFICIAL_BACKBONES, ModelConfig, lite_config
from .features import TextFeatures, VisualFeatures

__all__ = [
    "BACKBONES",
    "OFFICIAL_BACKBONES",
    "ActionVOSNet",
    "ModelConfig",
    "TextFeatures",
    "VisualFeatures",
    "lite_config",
]
