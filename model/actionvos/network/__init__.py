"""Our PyTorch implementation of the ActionVOS network (ReferFormer + positive head)."""

from .actionvos_net import ActionVOSNet
from .config import BACKBONES, ModelConfig
from .features import TextFeatures, VisualFeatures

__all__ = ["BACKBONES", "ActionVOSNet", "ModelConfig", "TextFeatures", "VisualFeatures"]
