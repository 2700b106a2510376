"""write_sample: a real mp4, a JPEG frame folder, palette masks and sample.json on disk."""

from __future__ import annotations

import json
import threading

import av
import numpy as np
import pytest
from PIL import Image

from actionvos.errors import Cancelled, InputError
from actionvos.palette import read_palette_png
from actionvos.sample import make_kitchen_clip, write_sample


@pytest.fixture(scope="module")
def clip():
    return make_kitchen_clip(seed=5, n_frames=12, size=(120, 160))


@pytest.fixture(scope="module")
def written(clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    calls = []
    paths = write_sample(clip, out, progress=lambda i, n, m: calls.append((i, n)))
    return out, paths, calls


def test_video_decodes_to_the_frames(clip, written):
    _, paths, _ = written
    with av.open(str(paths["video"])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(decoded) == clip.n_frames
    for got, want in zip(decoded, clip.frames, strict=True):
        assert got.shape == want.shape
        assert np.abs(got.astype(int) - want.astype(int)).mean() < 6


def test_frame_folder_and_masks_round_trip(clip, written):
    out, paths, _ = written
    jpgs = sorted(paths["frames"].glob("*.jpg"))
    assert [p.stem for p in jpgs] == clip.frame_names
    for p, want in zip(jpgs, clip.frames, strict=True):
        got = np.asarray(Image.open(p).convert("RGB")).astype(int)
        assert np.abs(got - want.astype(int)).mean() < 4
    for i, name in enumerate(clip.frame_names):
        mask_png = paths["masks"] / f"{name}.png"
        assert Image.open(mask_png).mode == "P"
        np.testing.assert_array_equal(read_palette_png(mask_png), clip.masks[i])
        np.testing.assert_array_equal(
            read_palette_png(paths["hand_masks"] / f"{name}.png"), clip.hand_masks[i]
        )


def test_sample_json(clip, written):
    out, paths, calls = written
    meta = json.loads(paths["json"].read_text())
    assert meta["narration"] == clip.narration
    assert [o["name"] for o in meta["objects"]] == clip.object_names
    assert [o["class_id"] for o in meta["objects"]] == clip.class_ids
    assert [o["active"] for o in meta["objects"]] == clip.active
    assert [o["involved"] for o in meta["objects"]] == clip.involved
    boxes = [[tuple(b["box"]) for b in fb] for fb in meta["hand_object_boxes"]]
    assert boxes == clip.hand_object_boxes
    assert meta["files"]["video"] == "clip.mp4"
    assert calls[-1][0] == calls[-1][1] == 3 * clip.n_frames


def test_only_what_is_asked_and_nothing_else_touched(clip, tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    paths = write_sample(clip, tmp_path, video=False, frames=False)
    assert set(paths) == {"masks", "hand_masks", "json"}
    assert not (tmp_path / "clip.mp4").exists() and not (tmp_path / "frames").exists()
    assert keep.read_text() == "mine"


def test_errors(clip, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError):
        write_sample(clip, f)
    ev = threading.Event()
    ev.set()
    with pytest.raises(Cancelled):
        write_sample(clip, tmp_path / "c", video=False, cancel=ev)
    with pytest.raises(Cancelled):
        write_sample(clip, tmp_path / "v", cancel=ev)
    assert not (tmp_path / "v" / "clip.mp4").exists()
