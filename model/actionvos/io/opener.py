"""``open_clip``: one entry point that picks the reader for a path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av

from actionvos.errors import ClipError

from .clip import Clip
from .frame_folder import IMAGE_EXTENSIONS, FrameFolderClip, list_frame_files
from .video import VIDEO_EXTENSIONS, VideoClip

_NOT_VIDEO_FORMATS = {"tty", "bin", "xbin", "adf", "idf"}
_WHAT = "a video (" + ", ".join(VIDEO_EXTENSIONS) + ") or a folder of jpg/png frames"


def open_clip(path: str | Path, **options: Any) -> Clip:
    """Open ``path`` as a clip: a folder of frames or a video file.

    Videos are recognised by extension, or else by probing the file with FFmpeg. ``options``
    go to the reader (``fps`` for folders; ``index``, ``index_cache_dir`` for videos;
    ``cache_bytes`` for both). ClipError, naming the path, for anything else.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ClipError(f"{path} does not exist; give {_WHAT}")
    if path.is_dir():
        if not list_frame_files(path):
            if (path / "ImageSets").is_dir() and (path / "JPEGImages_Sparse").is_dir():
                raise ClipError(
                    f"{path} is an ActionVOS dataset root; open it with ActionVOSDataset and "
                    "pick a sequence, or open one folder under JPEGImages_Sparse/<split>/"
                )
            raise ClipError(f"{path} has no jpg/png frames; give {_WHAT}")
        return FrameFolderClip(path, **options)
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        raise ClipError(f"{path} is a single image; open the folder that holds the frames")
    if suffix in VIDEO_EXTENSIONS or _probe_video(path):
        return VideoClip(path, **options)
    raise ClipError(f"{path} is not a supported clip; give {_WHAT}")


def _probe_video(path: Path) -> bool:
    """True when FFmpeg finds a video stream in a file with an unfamiliar extension."""
    if path.stat().st_size == 0:
        raise ClipError(f"{path} is empty (0 bytes); give {_WHAT}")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            fmt = container.format.name
            # Text files (the "tty" demuxer), single images and image pipes also come in as
            # "video" streams; they are not clips.
            if fmt in _NOT_VIDEO_FORMATS or fmt.startswith("image2") or fmt.endswith("_pipe"):
                return False
            return bool(container.streams.video)
    except Exception:
        return False
