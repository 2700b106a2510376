"""Visual trunk selection; the trunk lives at ``backbone.0.body`` as in the checkpoints."""

from __future__ import annotations

from torch import Tensor, nn


def build_trunk(name: str) -> nn.Module:
    """A module mapping frames [T,3,H,W] to [res2, res3, res4, res5] (strides 4..32)."""
    if name.startswith("resnet"):
        from .resnet import ResNetTrunk

        return ResNetTrunk(name)
    if name == "efficientnet_lite0":
        from .efficientnet import EfficientNetTrunk

        return EfficientNetTrunk()
    if name.startswith("video_swin"):
        from .video_swin import VideoSwinTrunk

        return VideoSwinTrunk(name)
    from .swin import SwinTrunk

    return SwinTrunk(name)


class BackboneSlot(nn.Module):
    """Holds the trunk under the name ``body`` (upstream: Joiner[0].body)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.body = build_trunk(name)

    def forward(self, frames: Tensor) -> list[Tensor]:
        return self.body(frames)
