"""Bad clips give a ClipError that names the file and says what to do."""

from __future__ import annotations

import av
import numpy as np
import pytest
from io_synthetic import synthetic_frames
from PIL import Image

from actionvos.errors import ClipError
from actionvos.io import FrameFolderClip, VideoClip, open_clip, write_video


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return synthetic_frames(40)


def _truncate(src, dst, fraction: float):
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.mp4"
    with pytest.raises(ClipError, match="does not exist") as err:
        open_clip(path)
    assert str(path) in str(err.value)
    with pytest.raises(ClipError, match=str(path)):
        VideoClip(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(ClipError, match="empty") as err:
        open_clip(path)
    assert str(path) in str(err.value)


def test_corrupt_file(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(ClipError, match="cannot open") as err:
        open_clip(path)
    assert str(path) in str(err.value)


def test_truncated_mp4_fails_at_open(tmp_path, frames):
    full = write_video(tmp_path / "full.mp4", frames)
    cut = _truncate(full, tmp_path / "cut.mp4", 0.6)
    with pytest.raises(ClipError, match="truncated") as err:
        open_clip(cut)
    assert str(cut) in str(err.value)


def test_truncated_mkv_names_the_file_when_the_missing_frames_are_read(tmp_path, frames):
    full = write_video(tmp_path / "full.mkv", frames, gop=8)
    cut = _truncate(full, tmp_path / "cut.mkv", 0.5)
    with VideoClip(cut, index="none") as clip:  # the header still claims every frame
        assert clip.n_frames == len(frames)
        clip[3]
        with pytest.raises(ClipError, match="truncated") as err:
            clip[len(frames) - 1]
        assert str(cut) in str(err.value)
    with VideoClip(cut, index="now") as clip:  # the packet index counts what is there
        assert 3 < clip.n_frames < len(frames)
        assert clip[-1].shape == frames.shape[1:]


@pytest.mark.parametrize("name", ["notes.txt", "notes.xyz"])
def test_unsupported_file(tmp_path, name):
    path = tmp_path / name
    path.write_text("not a video\n" * 100)
    with pytest.raises(ClipError, match="not a supported clip") as err:
        open_clip(path)
    assert str(path) in str(err.value)


def test_single_image_points_to_its_folder(tmp_path, frames):
    path = tmp_path / "frame_0000000001.png"
    Image.fromarray(frames[0]).save(path)
    with pytest.raises(ClipError, match="single image"):
        open_clip(path)


def test_video_without_a_video_stream(tmp_path):
    path = tmp_path / "audio.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 16000
        for _ in range(8):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(ClipError, match="no video stream") as err:
        open_clip(path)
    assert str(path) in str(err.value)


def test_missing_and_empty_folders(tmp_path):
    missing = tmp_path / "frames"
    with pytest.raises(ClipError, match="does not exist") as err:
        open_clip(missing)
    assert str(missing) in str(err.value)
    with pytest.raises(ClipError, match="does not exist"):
        FrameFolderClip(missing)
    missing.mkdir()
    (missing / "readme.txt").write_text("no frames here")
    with pytest.raises(ClipError, match="no jpg/png") as err:
        FrameFolderClip(missing)
    assert str(missing) in str(err.value)


def test_corrupt_frame_in_a_folder(tmp_path, frames):
    for i in range(3):
        Image.fromarray(frames[i]).save(tmp_path / f"frame_{i + 1:010d}.png")
    bad = tmp_path / "frame_0000000002.png"
    bad.write_bytes(b"\x89PNG broken")
    clip = open_clip(tmp_path)
    np.testing.assert_array_equal(clip[0], frames[0])
    with pytest.raises(ClipError, match="cannot read frame") as err:
        clip[1]
    assert str(bad) in str(err.value)
    bad.unlink()  # deleted after opening
    with pytest.raises(ClipError, match="does not exist") as err:
        clip[1]
    assert str(bad) in str(err.value)
    with pytest.raises(ClipError, match="missing") as err:
        FrameFolderClip(tmp_path, names=["frame_0000000001.png", "frame_0000000002.png"])
    assert "frame_0000000002.png" in str(err.value)


def _faststart_cut(tmp_path, frames, fraction: float):
    """A really truncated mp4 whose index (moov) sits before the frames, as for streaming."""
    full = write_video(
        tmp_path / "full.mp4", frames, gop=8, container_options={"movflags": "faststart"}
    )
    data = full.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # the writer did put the index first
    return _truncate(full, tmp_path / "cut.mp4", fraction)


@pytest.mark.parametrize("index", ["background", "now", "none"])
def test_truncated_faststart_mp4_is_verified_to_the_frames_that_decode(tmp_path, frames, index):
    cut = _faststart_cut(tmp_path, frames, 0.5)
    with VideoClip(cut, index=index) as clip:
        claimed = clip.n_frames  # the header's (or the packet index's) claim
        assert not clip.frame_count_verified
        n = clip.verify_frame_count()
        assert 0 < n < claimed <= len(frames)
        assert clip.n_frames == n == len(clip) and clip.frame_count_verified
        assert clip.keyframe_index is not None and clip.keyframe_index.n_frames == n
        for i in range(n):  # every frame the count promises is readable, and is frame i
            assert np.abs(clip[i].astype(int) - frames[i]).mean() < 6
        with pytest.raises(IndexError):
            clip[n]
        assert clip.verify_frame_count() == n  # settled once


def test_a_whole_faststart_mp4_verifies_to_its_full_count(tmp_path, frames):
    cut = _faststart_cut(tmp_path, frames, 1.0)
    with open_clip(cut) as clip:
        assert clip.verify_frame_count() == len(frames)
        assert np.abs(clip[-1].astype(int) - frames[-1]).mean() < 6


def test_folders_and_arrays_verify_to_their_count(tmp_path, frames):
    for i in range(3):
        Image.fromarray(frames[i]).save(tmp_path / f"frame_{i + 1:010d}.png")
    with open_clip(tmp_path) as clip:
        assert clip.verify_frame_count() == 3
