"""What trains, at which learning rate: upstream's groups, chosen by parameter name.

Upstream (``main_actionvos.py``) makes four groups: the visual backbone (``backbone.0``) at
``lr_backbone``, the text encoder at ``lr_text_encoder`` (frozen by default, but its 768->256
resizer trains with the rest), the deformable attention's ``reference_points`` and
``sampling_offsets`` at ``lr x lr_linear_proj_mult``, and everything else at ``lr``. The
backbone stem and first stage stay frozen, and batch norm is frozen throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .settings import TrainSettings

LINEAR_PROJ = ("reference_points", "sampling_offsets")
#: ResNet stem and first stage, frozen as DETR/ReferFormer do (``layer2..4`` train).
FROZEN_BACKBONE = ("backbone.0.body.conv1", "backbone.0.body.bn1", "backbone.0.body.layer1")


@dataclass
class Group:
    name: str
    lr: float
    params: list


def freeze(net: nn.Module, settings: TrainSettings, frozen_prefixes: tuple[str, ...] = ()) -> None:
    """Set ``requires_grad`` by name; packaged encoders (ActionVOS-Lite) never train, and with
    ``settings.trainable`` only the parameters under those prefixes do."""
    for name, p in net.named_parameters():
        trainable = not settings.trainable or name.startswith(tuple(settings.trainable))
        if name.startswith("backbone.0"):
            trainable &= settings.train_backbone and not name.startswith(FROZEN_BACKBONE)
        elif name.startswith("text_encoder."):
            trainable &= settings.train_text_encoder
        if name.startswith(frozen_prefixes):
            trainable = False
        p.requires_grad_(trainable)


def param_groups(net: nn.Module, settings: TrainSettings) -> list[Group]:
    """Trainable parameters in upstream's four groups (empty groups left out)."""
    groups = {
        "backbone": Group("backbone", settings.lr_backbone, []),
        "text_encoder": Group("text_encoder", settings.lr_text_encoder, []),
        "linear_proj": Group("linear_proj", settings.lr * settings.lr_linear_proj_mult, []),
        "rest": Group("rest", settings.lr, []),
    }
    for name, p in net.named_parameters():
        if not p.requires_grad:
            continue
        if name.startswith("backbone.0"):
            key = "backbone"
        elif name.startswith("text_encoder."):
            key = "text_encoder"
        elif any(part in name for part in LINEAR_PROJ):
            key = "linear_proj"
        else:
            key = "rest"
        groups[key].params.append(p)
    return [g for g in groups.values() if g.params]
