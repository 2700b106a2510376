"""Clip reading and writing: videos, frame folders, the ActionVOS dataset layout."""

from actionvos.io.video_writer import write_video

__all__ = ["write_video"]
