"""The inference engine on a small random-weight network (fixture_r50 config, tiny text).

The batched path (frames encoded once, objects decoded together) must give the official
per-object loop's results; both must equal the official post-processing of a full forward.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from actionvos.checkpoints.recipe import apply_recipe
from actionvos.engine.engine import Engine, windows
from actionvos.engine.postprocess import caption_probs, merge_label_map, select_queries
from actionvos.engine.preprocess import preprocess_frames
from actionvos.engine.prompts import build_prompts
from actionvos.engine.tokenizer import build_byte_bpe_tokenizer, encode, load_tokenizer
from actionvos.errors import Cancelled, ClipError, DeviceMemoryError, InputError
from actionvos.network import ActionVOSNet, ModelConfig

DATA = Path(__file__).parent / "data"
OBJECTS = ["knife", "onion", "cutting board"]
NARRATION = "cut onion"
SHORT = 64  # network input 64 x 85: fast, yet every level of the net is at least 1 x 2


class CountingClip:
    """Frames made on demand; records the order in which frames are read."""

    def __init__(self, n: int, size: tuple[int, int] = (48, 64), odd: int | None = None):
        self.n, self.size, self.odd, self.reads = n, size, odd, []

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, t: int) -> np.ndarray:
        self.reads.append(t)
        h, w = (self.size[0] + 2, self.size[1]) if t == self.odd else self.size
        yy, xx = np.mgrid[:h, :w]
        rgb = [128 + 100 * np.sin(xx / (5 + t + c) + yy / (7 + c)) for c in range(3)]
        return np.stack(rgb, -1).astype(np.uint8)


@pytest.fixture(scope="module")
def net():
    meta = json.loads((DATA / "fixture_r50.json").read_text())
    cfg = ModelConfig.from_referformer_args(meta["model_args_relevant"], meta["text_config"])
    model = ActionVOSNet(cfg)
    apply_recipe(model, meta["init_recipe"].get("overrides_after_recipe"))
    return model.eval()


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    corpus = build_prompts(OBJECTS, NARRATION) * 5
    return load_tokenizer(build_byte_bpe_tokenizer(tmp_path_factory.mktemp("tok"), corpus, 400))


@pytest.fixture(scope="module")
def runs(net, tokenizer):
    """Per-object and batched results on a 5-frame clip in windows of 3 (last one shorter),
    in float32: the equivalence with the official float32 pipeline is what these check."""
    torch.manual_seed(0)
    out = {}
    for key, per_object, batch in (("loop", True, None), ("batched", False, None)):
        eng = Engine(
            net,
            tokenizer,
            device="cpu",
            window=3,
            short_side=SHORT,
            object_batch=batch,
            precision="fp32",
            logits_dtype=torch.float32,
        )
        out[key] = eng.run(CountingClip(5), OBJECTS, NARRATION, per_object=per_object)
    eng = Engine(
        net,
        tokenizer,
        device="cpu",
        window=3,
        short_side=SHORT,
        object_batch=2,
        precision="fp32",
        logits_dtype=torch.float16,
    )
    out["sub-batched fp16"] = eng.run(CountingClip(5), OBJECTS, NARRATION)
    return out


def _fragile(result, t: int, threshold: float, eps: float) -> np.ndarray:
    """Pixels whose label could change if any mask logit moved by ``eps`` (float noise)."""
    w = next(w for w in result.windows if w.start <= t < w.stop)
    x = w.logits[:, t - w.start][:, None].float()
    x = F.interpolate(x, size=result.frame_size, mode="bilinear", align_corners=False)[:, 0]
    on = (w.positive >= threshold).view(-1, 1, 1)
    bg = torch.full((1, *x.shape[1:]), 0.1)

    def gated(v: torch.Tensor) -> torch.Tensor:
        p = torch.where(on, v.sigmoid(), torch.zeros_like(v))
        return torch.cat([bg, torch.where(p < 0.5, torch.zeros_like(p), p)])

    low, high = gated(x - eps), gated(x + eps)
    label = torch.from_numpy(result.label_map(t, threshold)).long()[None]
    winner_low = low.gather(0, label)
    idx = torch.arange(low.shape[0]).view(-1, 1, 1)
    beats = (high > winner_low) | ((high == winner_low) & (idx < label))
    return (beats & (idx != label)).any(0).numpy()


def test_windows_follow_the_official_split():
    assert windows(80) == [(0, 36), (36, 72), (72, 80)]
    assert windows(36) == [(0, 36)]
    assert windows(5, 3) == [(0, 3), (3, 5)]


@pytest.mark.parametrize(("other", "eps"), [("batched", 1e-2), ("sub-batched fp16", 5e-2)])
def test_batched_equals_per_object_loop(runs, other, eps):
    loop, res = runs["loop"], runs[other]
    fragile = 0
    assert [(w.start, w.stop) for w in res.windows] == [(0, 3), (3, 5)]
    for wl, wb in zip(loop.windows, res.windows, strict=True):
        assert torch.equal(wl.query, wb.query)
        torch.testing.assert_close(wb.positive, wl.positive, rtol=0, atol=1e-5)
        torch.testing.assert_close(wb.logits.float(), wl.logits, rtol=1e-3, atol=0.1)
    for t in range(5):
        probs_l, probs_b = loop.probabilities(t), res.probabilities(t)
        np.testing.assert_allclose(probs_b, probs_l, atol=2e-3)
        for th in (0.0, 0.75):
            differ = loop.label_map(t, th) != res.label_map(t, th)
            near = _fragile(loop, t, th, eps)
            assert not (differ & ~near).any()
            fragile += int(near.sum())
    assert fragile < 0.1 * 5 * 2 * 48 * 64  # the check above is not vacuous


def test_engine_equals_official_postprocessing_of_full_forwards(net, tokenizer, runs):
    res = runs["batched"]
    clip = CountingClip(5)
    prompts = build_prompts(OBJECTS, NARRATION)
    for w in res.windows:
        frames = preprocess_frames([clip[t] for t in range(w.start, w.stop)], SHORT)
        outs = []
        with torch.inference_mode():
            for p in prompts:
                ids = encode(tokenizer, p)[None]
                outs.append(net(frames, ids, torch.ones_like(ids)))
        logits = torch.cat([o["pred_logits"] for o in outs])
        q_idx, _ = select_queries(logits)
        assert torch.equal(q_idx, w.query)
        pos = torch.cat([o["pred_positives"] for o in outs]).sigmoid()[:, 0]
        torch.testing.assert_close(w.positive, pos, rtol=0, atol=1e-5)
        probs = caption_probs(torch.cat([o["pred_masks"] for o in outs]), q_idx, res.frame_size)
        for th in (0.0, 0.75):
            official = merge_label_map(probs, pos, threshold=th).numpy()
            for t in range(w.start, w.stop):
                differ = official[t - w.start] != res.label_map(t, th)
                assert not (differ & ~_fragile(res, t, th, 1e-2)).any()


def test_result_keeps_small_logits_and_recomputes_the_gate(runs):
    res = runs["sub-batched fp16"]
    assert res.num_frames == 5 and res.frame_size == (48, 64) and res.input_size == (64, 85)
    w = res.windows[0]
    assert w.logits.dtype == torch.float16 and tuple(w.logits.shape) == (3, 3, 16, 22)
    pos = res.positive_per_frame()
    assert pos.shape == (5, 3)
    np.testing.assert_array_equal(pos[:3], np.repeat(res.window_positive()[:1], 3, 0))
    assert res.active(0.0).all() and not res.active(1.01).any()
    assert res.label_map(4, threshold=1.01).max() == 0
    open_map = res.label_map(4, threshold=0.0)
    assert open_map.dtype == np.uint8 and open_map.shape == (48, 64) and open_map.max() > 0
    for k, name in enumerate(OBJECTS):
        np.testing.assert_array_equal(res.masks(name, 4, threshold=0.0), open_map == k + 1)
        own = res.masks(k, 4, threshold=0.0, exclusive=False)
        assert (own >= res.masks(k, 4, threshold=0.0)).all()  # merged mask is a subset
    summary = res.summary(threshold=0.0)
    assert [s["label"] for s in summary] == [1, 2, 3] and all(s["active"] for s in summary)
    assert summary[0]["prompt"] == "knife used in the action of cut onion"


def test_frames_are_streamed_once_in_order_with_progress(net, tokenizer):
    clip, calls = CountingClip(5), []
    eng = Engine(net, tokenizer, device="cpu", window=3, short_side=SHORT)
    eng.run(clip, OBJECTS[:1], NARRATION, progress=lambda d, n, m: calls.append((d, n, m)))
    assert clip.reads == [0, 1, 2, 3, 4]
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[-1] == 5 and {n for _, n, _ in calls} == {5}


def test_streamed_windows_hand_out_masks_then_drop_them(net, tokenizer, runs):
    eng = Engine(net, tokenizer, device="cpu", precision="fp32", window=3, short_side=SHORT)
    seen: dict[int, np.ndarray] = {}

    def write(result, window):
        for t in range(window.start, window.stop):
            seen[t] = result.label_map(t)

    streamed = eng.run(CountingClip(5), OBJECTS, NARRATION, on_window=write, keep_masks=False)
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert all(w.logits is None for w in streamed.windows)
    np.testing.assert_array_equal(streamed.window_positive(), runs["batched"].window_positive())
    for t, labels in seen.items():
        np.testing.assert_array_equal(labels, runs["batched"].label_map(t))
    with pytest.raises(InputError, match="keep_masks=False"):
        streamed.label_map(0)


def test_cancel_stops_the_run(net, tokenizer):
    cancel = threading.Event()
    eng = Engine(net, tokenizer, device="cpu", window=3, short_side=SHORT)
    clip = CountingClip(5)

    def progress(done: int, total: int, message: str) -> None:
        if done >= 3:
            cancel.set()

    with pytest.raises(Cancelled):
        eng.run(clip, OBJECTS, NARRATION, progress=progress, cancel=cancel)
    assert max(clip.reads) == 2  # the second window was never read


def test_bad_clips_are_refused(net, tokenizer):
    eng = Engine(net, tokenizer, device="cpu", window=3, short_side=SHORT)
    with pytest.raises(ClipError, match="no frames"):
        eng.run(CountingClip(0), OBJECTS, NARRATION)
    with pytest.raises(ClipError, match="frame 1 is 64x50"):
        eng.run(CountingClip(3, odd=1), OBJECTS, NARRATION)


def test_too_long_caption_is_refused_before_running(net, tokenizer):
    eng = Engine(net, tokenizer, device="cpu", window=3, short_side=SHORT)
    clip = CountingClip(3)
    with pytest.raises(InputError, match=r"'knife' is \d+ tokens .* at most 64"):
        eng.run(clip, ["knife"], "cut onion " * 40)
    assert clip.reads == []


def test_running_out_of_device_memory_says_what_to_do(net, tokenizer, monkeypatch):
    eng = Engine(net, tokenizer, device="cpu", window=3, short_side=SHORT)

    def no_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(eng, "_window_batched", no_memory)
    with pytest.raises(DeviceMemoryError, match="ran out of memory segmenting 3 objects") as info:
        eng.run(CountingClip(5), OBJECTS, NARRATION)
    assert "device cpu" in str(info.value) and "resolution" in str(info.value)
    assert isinstance(info.value.__cause__, torch.OutOfMemoryError)  # the original is kept
