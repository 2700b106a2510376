"""Training augmentation, applied alike to a sample's frames, instance ids and weight maps.

As upstream (``transforms_video_actionvos.py``): horizontal flip that also swaps "left" and
"right" in the captions, photometric distortion, then either a random resize or a
resize-crop-resize, and ImageNet normalisation. Every frame of a sample gets the same draw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from actionvos.engine.preprocess import IMAGENET_MEAN, IMAGENET_STD

from .settings import AugmentSettings

_LEFT_RIGHT = re.compile(r"\b(left|right)\b", re.IGNORECASE)


def swap_left_right(caption: str) -> str:
    """ "left" <-> "right" as whole words, keeping the case of the first letter."""

    def swap(m: re.Match) -> str:
        word = "right" if m.group(1).lower() == "left" else "left"
        return word.capitalize() if m.group(1)[0].isupper() else word

    return _LEFT_RIGHT.sub(swap, caption)


@dataclass
class Views:
    """One sample's pixels: frames [T,3,H,W] float in 0..1, ids and raw weights [T,H,W]."""

    frames: torch.Tensor
    ids: torch.Tensor
    raw: torch.Tensor
    captions: list[str]


def from_arrays(frames: np.ndarray, ids: np.ndarray, raw: np.ndarray, captions: list[str]) -> Views:
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div_(255.0)
    return Views(
        x,
        torch.from_numpy(ids.astype(np.int64)),
        torch.from_numpy(raw.astype(np.int64)),
        list(captions),
    )


def hflip(v: Views) -> Views:
    return Views(
        v.frames.flip(-1), v.ids.flip(-1), v.raw.flip(-1), [swap_left_right(c) for c in v.captions]
    )


def photometric(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Brightness, contrast, saturation and hue jitter (each with p 0.5), in a random order."""

    def brightness(y: torch.Tensor) -> torch.Tensor:
        return y + rng.uniform(-32, 32) / 255.0

    def contrast(y: torch.Tensor) -> torch.Tensor:
        mean = y.mean(dim=(1, 2, 3), keepdim=True)
        return (y - mean) * rng.uniform(0.5, 1.5) + mean

    def saturation(y: torch.Tensor) -> torch.Tensor:
        grey = (0.299 * y[:, 0] + 0.587 * y[:, 1] + 0.114 * y[:, 2])[:, None]
        return (y - grey) * rng.uniform(0.5, 1.5) + grey

    def hue(y: torch.Tensor) -> torch.Tensor:
        # A rotation of the chroma plane in YIQ space: a hue shift of up to 18 degrees.
        a = np.deg2rad(rng.uniform(-18, 18))
        to_yiq = torch.tensor(
            [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]]
        )
        rot = torch.tensor(
            [[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]], dtype=torch.float32
        )
        m = torch.linalg.inv(to_yiq) @ rot @ to_yiq
        return torch.einsum("ij,tjhw->tihw", m, y)

    ops = [brightness, contrast, saturation, hue]
    for i in rng.permutation(len(ops)):
        if rng.random() < 0.5:
            x = ops[i](x)
    return x.clamp_(0.0, 1.0)


def _resize(v: Views, size: tuple[int, int]) -> Views:
    if tuple(v.frames.shape[-2:]) == size:
        return v
    frames = F.interpolate(v.frames, size=size, mode="bilinear", align_corners=False)
    ids = F.interpolate(v.ids[:, None].float(), size=size, mode="nearest")[:, 0].long()
    raw = F.interpolate(v.raw[:, None].float(), size=size, mode="nearest")[:, 0].long()
    return Views(frames, ids, raw, v.captions)


def short_side_size(h: int, w: int, short: int, max_size: int | None) -> tuple[int, int]:
    """(h, w) with the shorter side ``short``, shrunk so the longer is at most ``max_size``."""
    if max_size is not None:
        lo, hi = min(h, w), max(h, w)
        if hi / lo * short > max_size:
            short = int(round(max_size * lo / hi))
    if h <= w:
        return short, int(round(short * w / h))
    return int(round(short * h / w)), short


def _crop(v: Views, rng: np.random.Generator, lo: int, hi: int) -> Views:
    h, w = v.frames.shape[-2:]
    ch = int(rng.integers(min(lo, h), min(h, hi) + 1))
    cw = int(rng.integers(min(lo, w), min(w, hi) + 1))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    sl = (..., slice(y, y + ch), slice(x, x + cw))
    return Views(v.frames[sl], v.ids[sl], v.raw[sl], v.captions)


def augment(
    v: Views, settings: AugmentSettings, rng: np.random.Generator, keep_ids: list[int] | None = None
) -> Views:
    """Flip, photometric distortion, resize choice. ``keep_ids``: objects a crop must not lose."""
    if rng.random() < settings.flip_p:
        v = hflip(v)
    if settings.photometric:
        v = Views(photometric(v.frames.clone(), rng), v.ids, v.raw, v.captions)
    h, w = v.frames.shape[-2:]
    if rng.random() < 0.5:
        short = int(rng.choice(settings.crop_scales))
        first = _resize(v, short_side_size(h, w, short, None))
        cropped = _crop(first, rng, *settings.crop_range)
        kept = keep_ids is None or all(bool((cropped.ids == k).any()) for k in keep_ids)
        if kept:
            v = cropped
    h, w = v.frames.shape[-2:]
    short = int(rng.choice(settings.scales))
    return _resize(v, short_side_size(h, w, short, settings.max_size))


def normalise(frames: torch.Tensor) -> torch.Tensor:
    """ImageNet normalisation, as the engine's preprocessing."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (frames - mean) / std
