"""A folder of still frames (jpg/png) read as a clip.

Frames are ordered by natural sort, so ``frame_9.jpg`` comes before ``frame_10.jpg`` and
EPIC-KITCHENS names (``frame_0000002521.jpg``) keep their order whatever the padding. Only
the first image is opened up front (for the frame size); each frame is read when asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from actionvos.errors import ClipError

from .clip import Clip
from .lru import DEFAULT_CACHE_BYTES, FrameCache

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key that compares runs of digits as numbers: a2 < a10."""
    parts = _DIGITS.split(name)
    return tuple((0, int(p), p) if p.isdigit() else (1, p.lower(), p) for p in parts)


def list_frame_files(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, naturally sorted (hidden files skipped)."""
    files = [
        p
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(files, key=lambda p: natural_key(p.name))


def read_rgb(path: Path) -> np.ndarray:
    """An image file as HxWx3 uint8 RGB; ClipError naming the file if it cannot be read."""
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except FileNotFoundError:
        raise ClipError(f"frame {path} does not exist (was it moved or deleted?)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ClipError(
            f"cannot read frame {path}: {exc}. The image is damaged or not a jpg/png; "
            "replace or remove it"
        ) from None


class FrameFolderClip(Clip):
    """Frames stored as image files in one folder.

    ``names``: the file names to use, in order (e.g. a sequence's sparse frames); default:
    every jpg/png in the folder, naturally sorted. ``frame_names`` are the file stems
    (``frame_0000002521``). ``fps`` is not stored with stills, so it is whatever the caller
    says (default 30).
    """

    def __init__(
        self,
        folder: str | Path,
        fps: float = 30.0,
        names: Iterable[str] | None = None,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        folder = Path(folder)
        if not folder.exists():
            raise ClipError(f"frame folder {folder} does not exist; check the path")
        if not folder.is_dir():
            raise ClipError(f"{folder} is not a folder; give a folder of jpg/png frames")
        if names is None:
            files = list_frame_files(folder)
            if not files:
                raise ClipError(
                    f"frame folder {folder} has no jpg/png images; "
                    "give a folder of frames or a video file"
                )
        else:
            files = [folder / n for n in names]
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
                raise ClipError(
                    f"frames {', '.join(missing[:3])}{more} are missing from {folder}; "
                    "restore them or fix the frame list"
                )
            if not files:
                raise ClipError(f"no frames were named for {folder}")
        if not fps or fps <= 0:
            raise ClipError(f"fps must be positive, got {fps}")
        self.path = folder
        self.fps = float(fps)
        self._files = files
        self._names = [f.stem for f in files]
        self._cache = FrameCache(cache_bytes)
        self._closed = False
        first = read_rgb(files[0])
        self.height, self.width = int(first.shape[0]), int(first.shape[1])
        self._cache.put(0, first)

    @property
    def n_frames(self) -> int:
        return len(self._files)

    @property
    def frame_names(self) -> Sequence[str]:
        return list(self._names)  # a copy: callers may edit theirs

    @property
    def files(self) -> list[Path]:
        """The image file of each frame, in clip order."""
        return list(self._files)

    def _read_frame(self, i: int) -> np.ndarray:
        if self._closed:
            raise ClipError(f"the clip of {self.path} was closed; open it again to read frames")
        hit = self._cache.get(i)
        if hit is not None:
            return hit
        rgb = read_rgb(self._files[i])
        if rgb.shape[:2] != (self.height, self.width):
            raise ClipError(
                f"frame {self._files[i]} is {rgb.shape[1]}x{rgb.shape[0]} but the clip is "
                f"{self.width}x{self.height} (from {self._files[0].name}); "
                "all frames of a folder must be one size"
            )
        self._cache.put(i, rgb)
        return rgb

    def close(self) -> None:
        self._closed = True
        self._cache.clear()
