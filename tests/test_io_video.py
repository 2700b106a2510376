"""Video clips: real encoders write synthetic clips, VideoClip reads them back."""

from __future__ import annotations

import threading

import av
import numpy as np
import pytest
from io_synthetic import nearest_original, reference_decode, synthetic_frames, write_vfr_video

from actionvos.errors import Cancelled, ClipError, InputError
from actionvos.io import VideoClip, build_index, open_clip, write_video

N, FPS, GOP = 30, 30.0, 8

CODECS = [
    ("mp4", "libx264"),
    ("mov", "libx264"),
    ("mkv", "libx264"),
    ("avi", "mpeg4"),
    ("webm", "libvpx-vp9"),
]


def _has_encoder(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def originals() -> np.ndarray:
    return synthetic_frames(N)


@pytest.fixture(scope="module", params=CODECS, ids=[f"{e}-{c}" for e, c in CODECS])
def encoded(request, tmp_path_factory, originals):
    """(path, reference frames, reference keyframe flags) for one container/codec."""
    ext, codec = request.param
    if not _has_encoder(codec):
        pytest.skip(f"this PyAV build has no {codec} encoder")
    path = tmp_path_factory.mktemp(codec) / f"clip.{ext}"
    write_video(path, originals, fps=FPS, codec=codec, gop=GOP)
    ref, keys = reference_decode(path)
    return path, ref, keys


@pytest.mark.parametrize("index", ["none", "now"])
def test_reads_back_what_was_encoded(encoded, originals, index):
    path, ref, _ = encoded
    with VideoClip(path, index=index) as clip:
        assert len(clip) == clip.n_frames == N
        assert clip.fps == pytest.approx(FPS)
        assert clip.shape == (N, 64, 96, 3)
        assert (clip.dtype, clip.ndim) == (np.uint8, 4)
        frames = np.stack(list(clip))
    assert np.abs(frames.astype(int) - originals).mean() < 6
    assert nearest_original(frames, originals).tolist() == list(range(N))
    np.testing.assert_array_equal(frames, ref)


@pytest.mark.parametrize("index", ["none", "now"])
def test_random_access_in_any_order_equals_sequential_decoding(encoded, index):
    path, ref, _ = encoded
    order = np.random.default_rng(7).permutation(N).tolist()
    order += [N - 1, 0, N - 1, 3, 2, 1]  # backwards steps and repeats
    with VideoClip(path, index=index, cache_bytes=0) as clip:  # no cache: every read decodes
        for i in order:
            np.testing.assert_array_equal(clip[i], ref[i], err_msg=f"frame {i}")


def test_keyframe_index_matches_the_decoder(encoded):
    path, ref, keys = encoded
    idx = build_index(path)
    assert idx.complete and idx.n_frames == len(ref)
    assert np.all(np.diff(idx.pts) > 0)
    assert idx.keyframes.tolist() == np.flatnonzero(keys).tolist()


def test_background_index_arrives_and_keeps_frames(encoded):
    path, ref, _ = encoded
    with VideoClip(path, cache_bytes=0) as clip:
        np.testing.assert_array_equal(clip[N // 2], ref[N // 2])
        assert clip.wait_for_index(timeout=30) is not None
        assert clip.n_frames == N and clip.n_frames_exact
        np.testing.assert_array_equal(clip[N - 2], ref[N - 2])
        np.testing.assert_array_equal(clip[1], ref[1])


@pytest.mark.parametrize("ext", ["mkv", "mp4"])
def test_variable_frame_rate_is_frame_accurate(tmp_path, originals, ext):
    path = tmp_path / f"vfr.{ext}"
    pts_ms = write_vfr_video(path, originals)
    ref, _ = reference_decode(path)
    with VideoClip(path, cache_bytes=0) as clip:
        clip.wait_for_index(timeout=30)
        assert clip.n_frames == N
        for i in np.random.default_rng(3).permutation(N).tolist():
            np.testing.assert_array_equal(clip[i], ref[i], err_msg=f"frame {i}")
        assert clip.timestamp(4) == pytest.approx(pts_ms[4] / 1000, abs=1e-3)


def test_slicing_like_numpy(encoded):
    path, ref, _ = encoded
    with VideoClip(path) as clip:
        np.testing.assert_array_equal(clip[3:9], ref[3:9])
        np.testing.assert_array_equal(clip[::7], ref[::7])
        np.testing.assert_array_equal(clip[[9, 2, 9]], ref[[9, 2, 9]])
        np.testing.assert_array_equal(clip[-1], ref[-1])
        np.testing.assert_array_equal(clip[5, 10:20, 30:50], ref[5, 10:20, 30:50])
        np.testing.assert_array_equal(clip[(np.int64(4), slice(None), slice(None))], ref[4])
        np.testing.assert_array_equal(clip[2:4, ..., 1], ref[2:4, ..., 1])
        np.testing.assert_array_equal(np.asarray(clip), ref)


def test_frame_names_are_one_based_like_epic(encoded):
    path, _, _ = encoded
    with open_clip(path) as clip:
        assert isinstance(clip, VideoClip)
        names = clip.frame_names
        assert len(names) == N
        assert names[0] == "frame_0000000001" and names[-1] == f"frame_{N:010d}"
        assert names.index("frame_0000000005") == 4
        assert clip.path == path


def test_concurrent_readers_get_the_right_frames(tmp_path, originals):
    path = write_video(tmp_path / "c.mp4", originals, fps=FPS, gop=GOP)
    ref, _ = reference_decode(path)
    errors: list[str] = []
    with VideoClip(path, cache_bytes=0) as clip:

        def reader(seed: int) -> None:
            for i in np.random.default_rng(seed).integers(0, N, 40).tolist():
                if not np.array_equal(clip[i], ref[i]):
                    errors.append(f"frame {i} wrong in thread {seed}")

        threads = [threading.Thread(target=reader, args=(s,)) for s in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


def test_cache_stays_within_its_budget(tmp_path, originals):
    path = write_video(tmp_path / "c.mp4", originals, fps=FPS, gop=GOP)
    frame_bytes = 64 * 96 * 3
    with VideoClip(path, cache_bytes=5 * frame_bytes) as clip:
        for i in range(N):
            clip[i]
        assert 0 < clip._cache.nbytes <= 5 * frame_bytes


def test_closed_clip_refuses_to_read(tmp_path, originals):
    path = write_video(tmp_path / "c.mp4", originals, fps=FPS)
    clip = VideoClip(path)
    clip.close()
    with pytest.raises(ClipError, match="closed"):
        clip[N - 1]


def test_index_cache_dir_is_written_only_when_asked(tmp_path, originals):
    path = write_video(tmp_path / "c.mp4", originals, fps=FPS, gop=GOP)
    with VideoClip(path, index="now"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.mp4"]
    cache = tmp_path / "index-cache"
    with VideoClip(path, index="now", index_cache_dir=cache) as clip:
        first = clip.keyframe_index
    assert len(list(cache.glob("*.npz"))) == 1
    with VideoClip(path, index="none", index_cache_dir=cache) as clip:
        again = clip.keyframe_index
    assert again is not None
    np.testing.assert_array_equal(again.pts, first.pts)
    np.testing.assert_array_equal(again.keyframes, first.keyframes)


def test_build_index_reports_progress_and_cancels(tmp_path, originals):
    path = write_video(tmp_path / "c.mp4", originals, fps=FPS)
    calls = []
    build_index(path, progress=lambda done, total, msg: calls.append((done, total, msg)))
    size = path.stat().st_size
    assert calls and calls[-1][:2] == (size, size) and "c.mp4" in calls[-1][2]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        build_index(path, cancel=cancel)


def test_write_video_refuses_bad_frames_and_leaves_nothing(tmp_path, originals):
    with pytest.raises(InputError, match="even"):
        write_video(tmp_path / "odd.mp4", originals[:, :63])
    assert not (tmp_path / "odd.mp4").exists()
    mixed = [originals[0], originals[1, :32]]
    with pytest.raises(InputError, match="one size"):
        write_video(tmp_path / "mixed.mp4", mixed)
    assert not (tmp_path / "mixed.mp4").exists()
    with pytest.raises(InputError, match="no frames"):
        write_video(tmp_path / "none.mp4", [])
    with pytest.raises(InputError, match="uint8"):
        write_video(tmp_path / "f.mp4", originals.astype(np.float32))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        write_video(tmp_path / "cancelled.mp4", originals, cancel=cancel)
    assert list(tmp_path.iterdir()) == []
