"""Frame preprocessing exactly as the official ActionVOS inference does it.

The official script reads each frame with PIL, applies ``torchvision.transforms.Resize(360)``
(shorter side to 360, the longer side ``int(360 * long / short)``, PIL bilinear, which
antialiases when shrinking), ``ToTensor`` and the ImageNet normalisation. torchvision cannot
be installed beside our torch, so the same steps are written here with PIL and torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from actionvos.errors import ClipError

#: Shorter side of the network input in the official inference.
SHORT_SIDE = 360
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def resized_size(height: int, width: int, short_side: int = SHORT_SIDE) -> tuple[int, int]:
    """``(h, w)`` after the official resize: shorter side to ``short_side``, long side truncated."""
    if height <= width:
        return short_side, int(short_side * width / height)
    return int(short_side * height / width), short_side


def _check_frame(frame: np.ndarray, where: str) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ClipError(
            f"{where} is {frame.dtype} with shape {frame.shape}; expected an H x W x 3 uint8 "
            "RGB frame. Convert the clip to RGB 8-bit frames."
        )
    if frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ClipError(f"{where} is empty (shape {frame.shape})")
    return frame


def preprocess_frame(
    frame: np.ndarray, short_side: int = SHORT_SIDE, where: str = "frame"
) -> torch.Tensor:
    """One ``H x W x 3`` uint8 RGB frame -> normalised float32 ``[3, h, w]`` network input."""
    frame = _check_frame(frame, where)
    h, w = resized_size(frame.shape[0], frame.shape[1], short_side)
    img = Image.fromarray(np.ascontiguousarray(frame), mode="RGB")
    if (h, w) != (frame.shape[0], frame.shape[1]):
        img = img.resize((w, h), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return x.sub_(mean).div_(std)


def preprocess_frames(frames: Sequence[np.ndarray], short_side: int = SHORT_SIDE) -> torch.Tensor:
    """A window of frames of one size -> ``[T, 3, h, w]``."""
    if len(frames) == 0:
        raise ClipError("no frames to preprocess")
    sizes = {np.asarray(f).shape[:2] for f in frames}
    if len(sizes) != 1:
        raise ClipError(f"all frames of a clip must have one size; found {sorted(sizes)}")
    return torch.stack(
        [preprocess_frame(f, short_side, where=f"frame {i}") for i, f in enumerate(frames)]
    )
