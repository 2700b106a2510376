"""Palette PNG masks, the DAVIS/ActionVOS convention.

Value k in a palette PNG is object k (0 = background). The palette is the DAVIS one (the
PASCAL VOC bit-interleaved colour map), which the official ActionVOS code copies from
``annotations/00000.png``. Masks are written with PIL in mode "P", never resampled, so no
anti-aliasing can invent labels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from actionvos.errors import ClipError


def davis_palette(n: int = 256) -> np.ndarray:
    """The DAVIS palette as an ``(n, 3)`` uint8 array (index 1 is dark red, 2 dark green...)."""
    pal = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    return pal


def write_palette_png(path: str | Path, labels: np.ndarray) -> None:
    """Write a 2-D label map (values 0..255) as a palette PNG."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"a label map must be 2-D, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise ValueError(
            f"palette PNGs hold labels 0..255; got {labels.min()}..{labels.max()} for {path}"
        )
    img = Image.fromarray(labels.astype(np.uint8), mode="P")
    img.putpalette(davis_palette().ravel().tolist())
    img.save(str(path), format="PNG")


def read_palette_png(path: str | Path) -> np.ndarray:
    """Read a palette PNG as its label indices (uint8, 2-D).

    An RGB(A) PNG is accepted only when every colour is in the DAVIS palette; otherwise the
    message names the file and the colour, since guessing labels from colours loses data.
    """
    path = Path(path)
    try:
        img = Image.open(path)
        img.load()
    except FileNotFoundError:
        raise ClipError(f"mask file {path} does not exist") from None
    except Exception as exc:  # PIL raises many types for broken files
        raise ClipError(f"cannot read mask {path}: {exc}. Is it a PNG?") from None
    if img.mode in ("P", "L", "I;16", "I"):
        return np.asarray(img).astype(np.uint8 if img.mode in ("P", "L") else np.int64)
    if img.mode in ("RGB", "RGBA"):
        rgb = np.asarray(img.convert("RGB")).reshape(-1, 3)
        pal = davis_palette()
        key = (pal[:, 0].astype(np.int64) << 16) | (pal[:, 1].astype(np.int64) << 8) | pal[:, 2]
        lookup = {int(k): i for i, k in reversed(list(enumerate(key)))}
        codes = (rgb[:, 0].astype(np.int64) << 16) | (rgb[:, 1].astype(np.int64) << 8) | rgb[:, 2]
        uniq, inv = np.unique(codes, return_inverse=True)
        out = np.empty(len(uniq), dtype=np.uint8)
        for j, code in enumerate(uniq):
            if int(code) not in lookup:
                colour = (int(code) >> 16, (int(code) >> 8) & 255, int(code) & 255)
                raise ClipError(
                    f"mask {path} has colour {colour}, which is not in the DAVIS palette; "
                    "save masks as palette (mode P) PNGs"
                )
            out[j] = lookup[int(code)]
        return out[inv].reshape(img.size[1], img.size[0])
    raise ClipError(f"mask {path} has image mode {img.mode}; expected a palette (P) PNG")
