"""Clip reading and writing: videos, frame folders, the ActionVOS dataset layout.

Every reader is a ``Clip``: a lazily decoded, read-only ``(T, H, W, 3)`` uint8 array that
napari can slice. ``open_clip(path)`` picks the reader; ``ActionVOSDataset`` (in
``actionvos.io.dataset``) reads the official dataset layout; ``write_video`` encodes frames.
"""

from actionvos.io.clip import ArrayClip, Clip, NumberedFrameNames
from actionvos.io.frame_folder import FrameFolderClip
from actionvos.io.opener import open_clip
from actionvos.io.video import VIDEO_EXTENSIONS, VideoClip
from actionvos.io.video_index import KeyframeIndex, build_index
from actionvos.io.video_writer import write_video

__all__ = [
    "VIDEO_EXTENSIONS",
    "ArrayClip",
    "Clip",
    "FrameFolderClip",
    "KeyframeIndex",
    "NumberedFrameNames",
    "VideoClip",
    "build_index",
    "open_clip",
    "write_video",
]
