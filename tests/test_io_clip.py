"""The shared Clip indexing logic (on ArrayClip), frame names and the frame cache."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from io_synthetic import synthetic_frames

from actionvos.errors import Cancelled, ClipError
from actionvos.io import ArrayClip, NumberedFrameNames
from actionvos.io.lru import FrameCache

FRAMES = synthetic_frames(9, 16, 24)


def _index(n: int):
    return st.integers(-n, n - 1)


def _slice(n: int):
    bound = st.none() | st.integers(-n - 2, n + 2)
    step = st.none() | st.integers(-3, 3).filter(lambda s: s != 0)
    return st.builds(slice, bound, bound, step)


frame_keys = st.one_of(
    _index(9),
    _slice(9),
    st.lists(_index(9), max_size=6),
    st.lists(st.booleans(), min_size=9, max_size=9).map(np.array),
)
spatial = st.tuples(_slice(16) | _index(16), _slice(24) | _index(24)) | st.just(())
channel = st.just(()) | st.tuples(_index(3) | _slice(3))


@settings(max_examples=300, deadline=None)
@given(frame_keys, spatial, channel)
def test_indexing_matches_numpy(frame_key, yx, ch):
    clip = ArrayClip(FRAMES)
    key = (frame_key, *yx, *ch) if (yx or ch) else frame_key
    if ch and not yx:
        key = (frame_key, Ellipsis, *ch)
    expected = FRAMES[key]
    got = clip[key]
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_array_like_attributes_and_copies():
    clip = ArrayClip(FRAMES, fps=25)
    assert clip.shape == (9, 16, 24, 3) and clip.dtype == np.uint8 and clip.ndim == 4
    assert len(clip) == clip.n_frames == 9 and clip.fps == 25.0
    assert clip.size == FRAMES.size and clip.nbytes == FRAMES.nbytes
    np.testing.assert_array_equal(np.asarray(clip), FRAMES)
    assert np.asarray(clip, dtype=np.float32).dtype == np.float32
    frame = clip[0]
    frame[:] = 0  # a copy: the clip is not changed
    np.testing.assert_array_equal(clip[0], FRAMES[0])
    assert "ArrayClip" in repr(clip)


def test_bad_indices_and_arrays_are_refused():
    clip = ArrayClip(FRAMES)
    with pytest.raises(IndexError):
        clip[9]
    with pytest.raises(IndexError):
        clip[[0, 12]]
    with pytest.raises(IndexError):
        clip[0, 0, 0, 0, 0]
    with pytest.raises(IndexError):
        clip[None]
    with pytest.raises(IndexError):
        clip[[[0, 1]]]
    with pytest.raises(ClipError, match="uint8"):
        ArrayClip(FRAMES.astype(np.float32))
    with pytest.raises(ClipError, match=r"\(T, H, W, 3\)"):
        ArrayClip(FRAMES[..., 0])
    with pytest.raises(ClipError, match="names"):
        ArrayClip(FRAMES, frame_names=["a"])


def test_iter_frames_reports_progress_and_cancels():
    clip = ArrayClip(FRAMES, frame_names=[f"f{i}" for i in range(9)])
    assert clip.frame_names[4] == "f4"
    seen = []
    got = list(clip.iter_frames([4, 1], progress=lambda d, t, m: seen.append((d, t))))
    assert [i for i, _ in got] == [4, 1] and seen == [(1, 2), (2, 2)]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        next(clip.iter_frames(cancel=cancel))


def test_numbered_frame_names():
    names = NumberedFrameNames(3)
    assert list(names) == ["frame_0000000001", "frame_0000000002", "frame_0000000003"]
    assert names == list(names) and names[-1] == "frame_0000000003"
    assert names[1:] == ["frame_0000000002", "frame_0000000003"]
    assert names.index("frame_0000000002") == 1
    assert "frame_0000000004" not in names and "frame_0000000001" in names
    with pytest.raises(ValueError):
        names.index("frame_0000000000")
    with pytest.raises(IndexError):
        names[3]


def test_frame_cache_is_lru_and_bounded_by_bytes():
    cache = FrameCache(max_bytes=300)
    for k in range(3):
        cache.put(k, np.full(100, k, np.uint8))
    assert cache.get(0) is not None  # 0 becomes the most recent
    cache.put(3, np.full(100, 3, np.uint8))  # evicts 1, the least recent
    assert 1 not in cache and all(k in cache for k in (0, 2, 3))
    assert cache.nbytes == 300 and len(cache) == 3
    cache.put(4, np.zeros(1000, np.uint8))  # larger than the whole budget: not kept
    assert 4 not in cache and cache.nbytes == 300
    with pytest.raises(ValueError):
        cache.get(0)[0] = 9  # cached arrays are read-only
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0
