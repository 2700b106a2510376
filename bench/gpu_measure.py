"""The measurements behind ``bench/gpu_check.py``: timed engine runs with their peak memory,
label-map comparisons, trainer step rates, and an ActionVOS-Lite that loads on this machine.

Peak memory is what a run adds on top of the loaded model: on CUDA ``max_memory_allocated``
above the allocation before the run (exact, so every run can share one process); on the CPU
the resident set size sampled by ``bench.inference.PeakRSS`` (approximate in one process, as
freed memory is reused). Timings synchronise the device before reading the clock.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.inference import NARRATION, OBJECTS, PeakRSS

MB = 2**20
#: Label maps compared at these gate thresholds: 0.0 keeps every object (compares the masks
#: alone), None is the model's own gate (compares what a user sees).
THRESHOLDS = {"ungated": 0.0, "gated": None}
#: MiniLM folder files needed to rebuild its architecture and tokenizer (no weights).
MINILM_FILES = ("config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json")
MINILM_FILES += ("special_tokens_map.json",)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class CudaPeak:
    """Peak CUDA memory above the allocation at entry; ``mark()`` closes one window's segment."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.base = 0
        self.peak_bytes = 0
        self.segments: list[int] = []

    def __enter__(self) -> CudaPeak:
        torch.cuda.synchronize(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        self.base = torch.cuda.memory_allocated(self.device)
        return self

    def mark(self) -> None:
        segment = torch.cuda.max_memory_allocated(self.device) - self.base
        self.segments.append(segment)
        self.peak_bytes = max(self.peak_bytes, segment)
        torch.cuda.reset_peak_memory_stats(self.device)

    def __exit__(self, *exc: object) -> None:
        torch.cuda.synchronize(self.device)
        peak = torch.cuda.max_memory_allocated(self.device) - self.base
        self.peak_bytes = max(self.peak_bytes, peak)


class RssPeak:
    """``PeakRSS`` with the same face as :class:`CudaPeak` (bytes above the RSS at entry)."""

    def __init__(self) -> None:
        self._rss = PeakRSS()

    @property
    def peak_bytes(self) -> int:
        return self._rss.peak - self._rss.base

    @property
    def segments(self) -> list[int]:
        return self._rss.segments

    def mark(self) -> None:
        self._rss.mark()

    def __enter__(self) -> RssPeak:
        self._rss.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._rss.__exit__(*exc)


def memory_meter(device: torch.device) -> CudaPeak | RssPeak:
    return CudaPeak(device) if device.type == "cuda" else RssPeak()


@dataclass
class TimedRun:
    """One engine run: wall time, peak memory above the loaded model, and its result."""

    seconds: float
    peak_mb: float
    window_peaks_mb: list[float]
    stored_mb: float
    precision: str
    result: Any  # actionvos.engine.result.EngineResult

    def record(self) -> dict:
        frames = self.result.num_frames
        return {
            "seconds": self.seconds,
            "fps": frames / self.seconds,
            "peak_mb": self.peak_mb,
            "window_peaks_mb": self.window_peaks_mb,
            "stored_mb": self.stored_mb,
            "active": int(self.result.active().any(axis=0).sum()),
            "positive_mean": [float(x) for x in self.result.mean_positive()],
            "precision_ran": self.precision,
        }


def timed_run(engine: Any, frames: np.ndarray, n: int, per_object: bool) -> TimedRun:
    """Segment the first ``n`` of :data:`OBJECTS` in ``frames`` (text cache cleared first, so
    every run pays for its own text encoding)."""
    engine.clear_cache()
    meter = memory_meter(engine.device)
    with meter:

        def progress(done: int, total: int, message: str) -> None:
            if message.endswith(": done"):
                meter.mark()

        start = time.perf_counter()
        result = engine.run(
            frames, OBJECTS[:n], NARRATION, per_object=per_object, progress=progress
        )
        synchronize(engine.device)
        seconds = time.perf_counter() - start
    return TimedRun(
        seconds=seconds,
        peak_mb=meter.peak_bytes / MB,
        window_peaks_mb=[p / MB for p in meter.segments],
        stored_mb=sum(w.logits.nbytes for w in result.windows) / MB,
        precision=engine.precision,
        result=result,
    )


def fastest(repeat: int, run: Callable[[], TimedRun]) -> TimedRun:
    """The fastest of ``repeat`` runs (the others still warm the device's caches)."""
    best = run()
    for _ in range(repeat - 1):
        other = run()
        if other.seconds < best.seconds:
            best = other
    return best


def label_maps(result: Any) -> dict[str, np.ndarray]:
    """The merged label maps ``uint8 [T, H, W]`` at each of :data:`THRESHOLDS`."""
    return {k: np.stack(list(result.label_maps(th))) for k, th in THRESHOLDS.items()}


def _logits(result: Any) -> torch.Tensor:
    return torch.cat([w.logits.float() for w in result.windows], 1)


def compare_runs(a: Any, b: Any) -> dict:
    """How far run ``b`` is from run ``a``: label-map pixels, logits, gate decisions."""
    maps_a, maps_b = label_maps(a), label_maps(b)
    differ = {k: int((maps_a[k] != maps_b[k]).sum()) for k in maps_a}
    total = int(maps_a["gated"].size)
    pos_a, pos_b = a.window_positive(), b.window_positive()
    return {
        "identical": all(d == 0 for d in differ.values()),
        "differing_px": differ,
        "pixels": total,
        "agreement": min(1.0 - d / total for d in differ.values()),
        "max_dlogit": float((_logits(a) - _logits(b)).abs().max()),
        "max_dpositive": float(np.abs(pos_a - pos_b).max()),
        "same_active": bool(np.array_equal(a.active(), b.active())),
        # How close run a's positive probabilities come to the gate: same_active means little
        # when every object sits far from it.
        "gate_margin": float(np.abs(pos_a - a.threshold).min()),
    }


def warm_up(engine: Any, frames: np.ndarray) -> None:
    """One loop and one batched run on real-size frames: kernel selection, allocator pools and
    lazy initialisation are not inference cost."""
    for per_object in (True, False):
        engine.run(frames, OBJECTS[:2], NARRATION, per_object=per_object)
    synchronize(engine.device)
    engine.clear_cache()


def cpu_bf16_probe(engine: Any, frames: np.ndarray, n: int) -> dict:
    """The network alone under CPU bf16 autocast against fp32, on the engine's own inputs, on
    any CPU (the engine uses CPU bf16 only where it is native): dtype mismatches of the bf16
    path show up without a GPU. CPU autocast casts other ops than CUDA's, so this is a probe,
    not the GPU figure."""
    from actionvos.engine.postprocess import choose_queries, gather_queries, positive_probs
    from actionvos.engine.preprocess import preprocess_frame
    from actionvos.engine.prompts import build_prompts
    from actionvos.engine.tokenizer import encode
    from actionvos.network import TextFeatures

    net = engine.net
    ids = [encode(engine.tokenizer, p)[None] for p in build_prompts(OBJECTS[:n], NARRATION)]
    x = torch.stack([preprocess_frame(f, engine.short_side) for f in frames])

    @torch.inference_mode()
    def forward() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        vis = net.encode_visual(x)
        items = [net.encode_text(i, torch.ones_like(i)) for i in ids]
        out = net.decode(vis, items[0] if n == 1 else TextFeatures.cat(items), with_aux=False)
        q = choose_queries(out)
        logits = gather_queries(out["pred_masks"], q).float()
        return q, positive_probs(out["pred_positives"]).float(), logits

    q32, p32, m32 = forward()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        q16, p16, m16 = forward()
    th = engine.threshold
    return {
        "ran": "network under torch.autocast('cpu', bfloat16) vs fp32",
        "objects": n,
        "mask_sign_agreement": float(((m32 > 0) == (m16 > 0)).float().mean()),
        "max_dlogit": float((m32 - m16).abs().max()),
        "same_query": bool(torch.equal(q32, q16)),
        "max_dpositive": float((p32 - p16).abs().max()),
        "same_active": bool(torch.equal(p32 >= th, p16 >= th)),
    }


# ------------------------------------------------------------------------------- training
def train_rate(
    net: torch.nn.Module,
    tokenizer: Any,
    clips: Sequence,
    settings: Any,
    out: Path,
    warm: int,
    steps: int,
) -> dict:
    """Steps per second of :class:`Trainer.train_step` on batches drawn beforehand (data
    preparation is excluded: this times the device), after ``warm`` untimed steps."""
    from actionvos.training import Trainer

    trainer = Trainer(net, tokenizer, clips, settings, out)
    batches = [trainer.drawer.draw() for _ in range(warm + steps)]
    for batch in batches[:warm]:
        trainer.train_step(batch)
    synchronize(trainer.device)
    cuda = trainer.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats(trainer.device)
    start = time.perf_counter()
    losses = [trainer.train_step(batch)[1] for batch in batches[warm:]]
    synchronize(trainer.device)
    seconds = time.perf_counter() - start
    record = {
        "device": trainer.device.type,
        "precision_ran": trainer.precision,
        "steps": steps,
        "frames_per_step": int(batches[-1].frames.shape[0]),
        "objects_per_step": len(batches[-1].captions),
        "seconds_per_step": seconds / steps,
        "steps_per_s": steps / seconds,
        "last_loss": losses[-1],
        "losses_finite": all(math.isfinite(x) for x in losses),
        "peak_mb": torch.cuda.max_memory_allocated(trainer.device) / MB if cuda else None,
    }
    del trainer
    if cuda:
        torch.cuda.empty_cache()
    return record


# ------------------------------------------------------------------------------- lite
@dataclass(frozen=True)
class LiteModel:
    """A Lite model folder that loads here, and what its weights are."""

    path: Path
    weights: str
    notes: tuple[str, ...] = ()


def lite_model(tmp: Path, minilm_config: Path | None) -> LiteModel:
    """The shipped Lite if it loads; else a fresh ``build_lite()``; else, where the encoder
    packages are missing (the lent GPU machine), Lite's architecture with random encoder
    weights built from a MiniLM config and tokenizer folder (speed does not depend on the
    weights). Raises ``CheckpointError`` when none of these is possible."""
    from actionvos.checkpoints import save
    from actionvos.engine.loader import load_network
    from actionvos.errors import CheckpointError
    from actionvos.registry import shipped_lite_dir
    from actionvos.training.lite import build_lite

    notes: list[str] = []
    try:
        path = shipped_lite_dir()
        load_network(path)
        return LiteModel(path, "shipped")
    except CheckpointError as exc:
        notes.append(f"shipped Lite not used: {exc}")
    try:
        net, _ = build_lite()
        return LiteModel(save(net, None, tmp / "lite"), "fresh build_lite()", tuple(notes))
    except CheckpointError as exc:
        notes.append(f"build_lite() not possible: {exc}")
    if minilm_config is None or not (minilm_config / "config.json").is_file():
        raise CheckpointError(
            "no ActionVOS-Lite can be built here: " + "; ".join(notes) + ". Run "
            "`bash bench/gpu_check.sh --prepare` where the packages are installed and carry "
            ".gpu_carry"
        )
    return LiteModel(
        random_lite(tmp, minilm_config),
        "Lite architecture, random weights (encoder packages missing)",
        tuple(notes),
    )


def random_lite(tmp: Path, minilm_config: Path) -> Path:
    """Save a Lite-shaped network whose MiniLM and EfficientNet weights are random."""
    from transformers import BertConfig, BertModel

    from actionvos.checkpoints import save
    from actionvos.network import ActionVOSNet
    from actionvos.network.config import lite_config

    text_dir = tmp / "minilm-random"
    text_dir.mkdir(parents=True, exist_ok=True)
    for name in MINILM_FILES:
        if (minilm_config / name).is_file():
            shutil.copy2(minilm_config / name, text_dir / name)
    torch.manual_seed(0)
    config = BertConfig.from_json_file(str(text_dir / "config.json"))
    encoder = BertModel(config, add_pooling_layer=False)
    encoder.save_pretrained(str(text_dir))
    cfg = lite_config(encoders_from_packages=False, text_encoder_dir=str(text_dir))
    return save(ActionVOSNet(cfg), None, tmp / "lite")


def copy_minilm_config(dest: Path) -> Path:
    """Copy the installed all-MiniLM-L6-v2 folder's config and tokenizer (no weights)."""
    from actionvos.network.text_encoder import minilm_dir

    src = minilm_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for name in MINILM_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)
    return dest
