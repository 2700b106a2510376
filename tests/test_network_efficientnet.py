"""EfficientNet-Lite0 from its pip package: the ImageNet weights load and classify sensibly."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch
from skimage.transform import resize

from actionvos.network.efficientnet import (
    PIXEL_MEAN,
    PIXEL_STD,
    TAP_CHANNELS,
    EfficientNetLite0,
    EfficientNetTrunk,
    load_pretrained,
)

CATS = range(281, 286)  # ImageNet tabby .. Egyptian cat
ESPRESSO_OR_CUP = (967, 968)


@pytest.fixture(scope="module")
def classifier() -> EfficientNetLite0:
    return load_pretrained(EfficientNetLite0(with_head=True)).eval()


def _input(image: np.ndarray, shift: int = 0, flip: bool = False) -> torch.Tensor:
    img = np.roll(image, shift, axis=1) if shift else image
    img = img[:, ::-1] if flip else img
    x = resize(img, (224, 224), anti_aliasing=True).astype(np.float32)
    t = torch.from_numpy(x).permute(2, 0, 1)[None]
    mean, std = torch.tensor(PIXEL_MEAN).view(1, 3, 1, 1), torch.tensor(PIXEL_STD).view(1, 3, 1, 1)
    return (t - mean) / std


@pytest.mark.parametrize(("name", "expected"), [("chelsea", CATS), ("coffee", ESPRESSO_OR_CUP)])
def test_top1_is_right_and_stable_under_flips_and_shifts(classifier, name, expected) -> None:
    image = getattr(skimage.data, name)()
    tops = []
    with torch.no_grad():
        for shift, flip in ((0, False), (0, True), (8, False), (-8, False), (8, True)):
            probs = classifier.classify(_input(image, shift, flip)).softmax(-1)[0]
            tops.append(int(probs.argmax()))
            assert float(probs.max()) > 0.3
    assert tops[0] in expected
    assert len(set(tops)) == 1, tops


def test_trunk_gives_four_strides_and_takes_imagenet_normalised_frames(classifier) -> None:
    trunk = load_pretrained(EfficientNetTrunk()).eval()
    image = skimage.data.chelsea()
    x = resize(image, (224, 224), anti_aliasing=True).astype(np.float32)
    t = torch.from_numpy(x).permute(2, 0, 1)[None]
    imagenet = (t - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]
    ).view(1, 3, 1, 1)
    with torch.no_grad():
        maps = trunk(imagenet)
        same = EfficientNetLite0.forward(classifier, _input(image))
    assert [m.shape[1] for m in maps] == list(TAP_CHANNELS)
    assert [224 // m.shape[-1] for m in maps] == [4, 8, 16, 32]
    torch.testing.assert_close(maps[-1], same[-1], rtol=1e-4, atol=1e-4)


def test_folded_batch_norm_gives_the_same_maps_and_follows_new_weights() -> None:
    """At inference batch norm is folded into the convolutions; the maps match the layer-by-layer
    trunk that training runs, and a change to the weights (a load, an update) is folded anew."""
    torch.manual_seed(0)
    trunk = load_pretrained(EfficientNetTrunk()).eval()
    x = torch.randn(2, 3, 96, 160)
    with torch.no_grad():
        folded = trunk(x)
    with torch.enable_grad():  # as in training: the plain layers run
        plain = trunk(x)
    assert plain[0].requires_grad and not folded[0].requires_grad
    for a, b in zip(folded, plain, strict=True):
        assert a.shape == b.shape and a.is_contiguous()
        assert torch.allclose(a, b.detach(), atol=1e-4, rtol=1e-4)
    with torch.no_grad():
        trunk._blocks[3]._bn1.weight.mul_(0.5)  # an in-place update
        changed = trunk(x)
    with torch.enable_grad():
        expected = trunk(x)
    assert not torch.allclose(changed[-1], folded[-1], atol=1e-3)
    assert torch.allclose(changed[-1], expected[-1].detach(), atol=1e-4, rtol=1e-4)


def test_a_trunk_built_under_inference_mode_runs() -> None:
    """Weights made under ``torch.inference_mode`` keep no version counter; folding copes."""
    with torch.inference_mode():
        trunk = load_pretrained(EfficientNetTrunk()).eval()
        maps = trunk(torch.randn(1, 3, 64, 96))
    assert [m.shape[1] for m in maps] == list(TAP_CHANNELS)


def test_the_trunk_stays_float32_under_bf16_autocast() -> None:
    """bf16 in the trunk moved the shipped Lite's masks (p-mIoU -4); under autocast it must
    give the very maps of a float32 run, while the layers after it do get bf16."""
    torch.manual_seed(0)
    trunk = load_pretrained(EfficientNetTrunk()).eval()
    x = torch.randn(2, 3, 96, 160)
    with torch.no_grad():
        plain = trunk(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            mixed = trunk(x)
            after = torch.nn.functional.linear(mixed[0].flatten(2).mT, torch.ones(4, 24))
    assert after.dtype == torch.bfloat16
    for a, b in zip(mixed, plain, strict=True):
        assert a.dtype == torch.float32
        assert torch.equal(a, b)
