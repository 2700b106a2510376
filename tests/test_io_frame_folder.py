"""Frame folders: natural order, lossless png round trip, jpg close, names and sizes."""

from __future__ import annotations

import numpy as np
import pytest
from io_synthetic import nearest_original, synthetic_frames
from PIL import Image

from actionvos.errors import ClipError
from actionvos.io import FrameFolderClip, open_clip
from actionvos.io.frame_folder import natural_key


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return synthetic_frames(12)


def test_natural_sort_puts_numbers_in_order():
    names = ["frame_10.jpg", "frame_9.jpg", "frame_100.jpg", "Frame_1.jpg", "frame_0000002521.jpg"]
    assert sorted(names, key=natural_key) == [
        "Frame_1.jpg",
        "frame_9.jpg",
        "frame_10.jpg",
        "frame_100.jpg",
        "frame_0000002521.jpg",
    ]


def test_png_folder_reads_back_exactly_in_natural_order(tmp_path, frames):
    # Unpadded numbers: a plain string sort would put frame_10 before frame_2.
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"frame_{i}.png")
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / ".frame_99.png").write_bytes(b"hidden, ignored")
    clip = open_clip(tmp_path, fps=50)
    assert isinstance(clip, FrameFolderClip)
    assert clip.shape == (12, 64, 96, 3) and clip.fps == 50
    assert clip.frame_names == [f"frame_{i}" for i in range(12)]
    np.testing.assert_array_equal(np.asarray(clip), frames)
    np.testing.assert_array_equal(clip[[11, 0]], frames[[11, 0]])
    np.testing.assert_array_equal(clip[3, 5:9, 7:30], frames[3, 5:9, 7:30])
    assert clip.path == tmp_path


def test_epic_jpg_folder_is_close_to_the_originals(tmp_path, frames):
    numbers = [2521 + 7 * i for i in range(len(frames))]
    for n, frame in zip(numbers, frames, strict=True):
        Image.fromarray(frame).save(tmp_path / f"frame_{n:010d}.jpg", quality=95)
    with FrameFolderClip(tmp_path) as clip:
        got = clip[:]
        assert clip.frame_names[0] == "frame_0000002521"
        assert [f.name for f in clip.files][-1] == f"frame_{numbers[-1]:010d}.jpg"
    assert np.abs(got.astype(int) - frames).mean() < 4
    assert nearest_original(got, frames).tolist() == list(range(len(frames)))


def test_a_chosen_subset_of_names(tmp_path, frames):
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"f{i:03d}.png")
    clip = FrameFolderClip(tmp_path, names=["f007.png", "f002.png"])
    assert clip.frame_names == ["f007", "f002"]
    np.testing.assert_array_equal(clip[:], frames[[7, 2]])


def test_a_frame_of_another_size_is_named(tmp_path, frames):
    Image.fromarray(frames[0]).save(tmp_path / "a1.png")
    Image.fromarray(frames[1, :32]).save(tmp_path / "a2.png")
    clip = FrameFolderClip(tmp_path)
    with pytest.raises(ClipError, match="one size") as err:
        clip[1]
    assert "a2.png" in str(err.value)


def test_grey_and_rgba_frames_become_rgb(tmp_path, frames):
    Image.fromarray(frames[0, ..., 0]).save(tmp_path / "a1.png")
    Image.fromarray(np.dstack([frames[1], np.full((64, 96), 200, np.uint8)])).save(
        tmp_path / "a2.png"
    )
    clip = FrameFolderClip(tmp_path)
    np.testing.assert_array_equal(clip[0], np.repeat(frames[0, ..., :1], 3, axis=2))
    np.testing.assert_array_equal(clip[1], frames[1])
