"""Propagation follows a moving object, stops where it must, reports progress and cancels;
the confidence says where masks drifted and picks the next frame to review."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from propagation_clips import textured_disc_clip

from actionvos.errors import Cancelled, InputError
from actionvos.propagation.confidence import frame_confidence, least_confident, stability
from actionvos.propagation.flow import FlowCache
from actionvos.propagation.propagate import BACKWARD, FORWARD, PropagationRequest, propagate
from actionvos.propagation.warp import consistent, warp
from actionvos.sample import make_kitchen_clip
from actionvos.store import FrameState


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_warp_moves_a_mask_along_a_flow():
    mask = np.zeros((10, 10), bool)
    mask[2:4, 2:4] = True
    field = np.zeros((2, 10, 10), np.float32)
    field[1] = -3.0  # each pixel of the new frame comes from 3 px to its left
    assert np.array_equal(warp(mask, field) >= 0.5, np.roll(mask, 3, axis=1))
    back = np.zeros_like(field)
    assert consistent(field, -field).all() and not consistent(field, back, 1.0, 0.0).any()


def test_propagation_follows_a_textured_disc_both_ways():
    frames, truth = textured_disc_clip()
    flows = FlowCache(frames)
    result = propagate(PropagationRequest(3, truth[3], min_confidence=0.0), flows)
    assert result.frames == [0, 1, 2, 4, 5, 6, 7]
    for t in result.frames:
        assert _iou(result.masks[t], truth[t]) > 0.85, t
        assert _iou(truth[3], truth[t]) < 0.85 or abs(t - 3) == 1  # it really moved
    assert result.stopped == {FORWARD: "end of the clip", BACKWARD: "end of the clip"}


def test_propagation_follows_a_moving_kitchen_object_for_five_frames():
    clip = make_kitchen_clip(1_000_501, n_frames=48, size=(180, 320))
    k = clip.object_names.index("spatula 2") + 1  # slides about 6 px a frame from frame 24
    start = 24
    flows = FlowCache(clip.frames[start : start + 6])
    request = PropagationRequest(0, clip.masks[start] == k, k, directions=(FORWARD,))
    result = propagate(request, flows)
    truth, still = clip.masks[start + 5] == k, clip.masks[start] == k
    assert 5 in result.masks
    assert _iou(result.masks[5], truth) > 0.5
    assert _iou(still, truth) < 0.25  # a mask that stayed put would have lost it


def test_propagation_stops_before_human_frames_limits_and_low_confidence():
    frames, truth = textured_disc_clip(n_frames=8)
    flows = FlowCache(frames)
    request = PropagationRequest(3, truth[3], stop_frames=frozenset({1, 7}), max_frames=2)
    result = propagate(request, flows)
    assert result.frames == [2, 4, 5]
    assert "frame 1 is human-verified" in result.stopped[BACKWARD]
    assert "frame limit (2)" in result.stopped[FORWARD]
    assert 1 not in result.masks and 6 not in result.masks  # 6 is past the limit
    # an impossible confidence bar writes nothing and says why
    strict = propagate(PropagationRequest(3, truth[3], min_confidence=1.0), FlowCache(frames))
    assert all(c >= 1.0 for c in strict.confidence.values())  # nothing below the bar
    noise = np.random.default_rng(0).uniform(size=frames.shape).astype(np.float32)
    lost = propagate(PropagationRequest(3, truth[3], min_confidence=0.9), FlowCache(noise))
    assert "below 0.9" in lost.stopped[FORWARD] and len(lost.frames) < 4


def test_model_probability_steers_the_uncertain_boundary():
    frames, truth = textured_disc_clip(n_frames=4)
    seen = []

    def model(t: int) -> np.ndarray:
        seen.append(t)
        return truth[t].astype(np.float32)

    request = PropagationRequest(0, truth[0], model_probability=model, directions=(FORWARD,))
    result = propagate(request, FlowCache(frames))
    assert seen == [1, 2, 3]
    assert all(_iou(result.masks[t], truth[t]) > 0.9 for t in (1, 2, 3))
    bad = PropagationRequest(0, truth[0], model_probability=lambda t: np.ones((3, 3)))
    with pytest.raises(InputError, match="probability map"):
        propagate(bad, FlowCache(frames))


def test_progress_and_cancel():
    frames, truth = textured_disc_clip(n_frames=6)
    calls = []
    propagate(
        PropagationRequest(0, truth[0]), FlowCache(frames), progress=lambda *a: calls.append(a)
    )
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5] and all(c[1] == 5 for c in calls)
    cancel = threading.Event()

    def stop_after_two(done: int, total: int, message: str) -> None:
        if done == 2:
            cancel.set()

    with pytest.raises(Cancelled, match="nothing was written"):
        propagate(PropagationRequest(0, truth[0]), FlowCache(frames), stop_after_two, cancel)


def test_bad_requests_say_what_is_wrong():
    frames, truth = textured_disc_clip(n_frames=3)
    with pytest.raises(InputError, match="outside the clip"):
        propagate(PropagationRequest(5, truth[0]), FlowCache(frames))
    with pytest.raises(InputError, match="the mask is"):
        propagate(PropagationRequest(0, truth[0][:10]), FlowCache(frames))
    with pytest.raises(InputError, match="min_confidence"):
        PropagationRequest(0, truth[0], min_confidence=2.0)
    with pytest.raises(InputError, match="optical flow method"):
        FlowCache(frames, method="farneback")


def test_confidence_marks_jumps_doubt_and_propagation():
    labels = np.zeros((4, 8, 8), np.uint16)
    labels[:, 0:4, 0:4] = 1
    labels[2] = 0
    labels[2, 4:8, 4:8] = 1  # object 1 jumps away at frame 2
    labels[:, 6:8, 0:2] = 2
    states = [FrameState.MODEL, FrameState.HUMAN, FrameState.MODEL, FrameState.PROPAGATED]
    conf = frame_confidence(labels, 2, states)
    assert conf[1].tolist() == [1.0, 1.0]  # human-verified
    assert conf[2, 0] == 0.0 and conf[3, 0] == 0.0  # the jump and the frame after it
    assert conf[0, 0] == 1.0 and conf[0, 1] == 1.0
    assert np.array_equal(stability(labels, 2)[:, 1], np.ones(4))
    probs = np.full((2, 8, 8), 0.8, np.float32)
    propagated = np.full((4, 2), np.nan)
    propagated[3, 0] = 0.3
    conf = frame_confidence(labels, 2, states, propagated=propagated, probabilities=lambda t: probs)
    assert conf[3, 0] == pytest.approx(0.3)  # the propagation's own confidence
    assert conf[0, 1] == pytest.approx(0.8)  # stable, but the model says 0.8
    assert least_confident(conf) == (2, 0)
    assert least_confident(conf, skip_frames=[2]) == (3, 0)
    assert least_confident(conf, skip_frames=[0, 1, 2, 3]) is None
    assert least_confident(conf, objects=[1]) in {(0, 1), (2, 1), (3, 1)}
    with pytest.raises(InputError, match="frame states"):
        frame_confidence(labels, 2, states[:2])


def test_flows_come_from_a_lazy_clip_and_a_small_cache_alike():
    clip = make_kitchen_clip(1_000_702, n_frames=4, size=(96, 128))
    lazy = FlowCache(clip.to_clip())  # an actionvos.io clip: frames read when needed
    assert lazy.shape == (96, 128) and lazy.n_frames == 4
    tiny = FlowCache(clip.frames, cache_bytes=1)  # keeps nothing: recomputes every time
    for dst, src in ((1, 0), (0, 1), (3, 2)):
        assert np.array_equal(lazy.pull(dst, src), FlowCache(clip.frames).pull(dst, src))
        assert np.array_equal(tiny.pull(dst, src), lazy.pull(dst, src))
    with pytest.raises(InputError, match="outside the clip"):
        lazy.pull(4, 3)
