"""The CUDA path measured in one run: official per-object loop vs batched engine, fp32 vs bf16.

Driven by ``bench/gpu_check.sh`` (see there for how to run it on the lent GPU). Sections:

* ``inference``: R101 (fixture init recipe, objects made active, roberta-base sized text
  encoder) at 360p, one 36-frame window, N = 1, 6, 10 objects: the official loop in fp32, the
  batched engine in fp32 and in bf16. Speed ratios, fp32 label maps loop vs batched, bf16
  pixel agreement and gate decisions against fp32.
* ``memory``: peak device memory per mode at 36 and 144 frames (should be flat).
* ``lite``: ActionVOS-Lite frames per second (shipped weights if they load here).
* ``train``: ``Trainer`` steps per second, Lite and R101, bf16 and fp32 on the device, fp32 on
  the CPU.

``--smoke`` runs the same code on the CPU at tiny sizes (R50 with a one-layer text encoder,
2 frames of 64x96) in about a minute and writes the same JSON keys; the JSON says per figure
which precision ran: the trainer uses bf16 autocast only on CUDA, the engine also on CPUs with
native bf16. Where the engine ran fp32, ``inference_cpu_bf16`` runs the network itself under
CPU bf16 autocast, so the bf16 dtype paths are exercised without a GPU.
Figures are measurements: missing a target prints FAIL but exits 0; a crash in a section keeps
its traceback (stderr and the JSON's ``errors``), the other sections still run, exit code 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench import gpu_measure as gm  # noqa: E402
from bench.gpu_report import print_tables, targets  # noqa: E402
from bench.inference import TINY_TEXT, build_model, synthetic_frames  # noqa: E402

SECTIONS = ("inference", "memory", "lite", "train")
#: Engine modes: (precision asked for, official per-object loop?).
MODES = {
    "loop_fp32": ("fp32", True),
    "batched_fp32": ("fp32", False),
    "batched_bf16": ("bf16", False),
}


@dataclass(frozen=True)
class CheckConfig:
    """Sizes of one check; :data:`FULL` for the GPU, :data:`SMOKE` for the CPU test."""

    mode: str
    device: str
    backbone: str
    text_layers: int | None  # None: roberta-base (12 layers)
    frame_size: tuple[int, int]
    short_side: int
    window: int
    frames: int
    objects: tuple[int, ...]
    long_frames: tuple[int, ...]
    long_objects: int
    repeat: int
    lite_frames: int
    lite_objects: int
    lite_short_side: int | None  # None: the model's own (192)
    train_warm: int
    train_steps: int
    cpu_train_steps: int
    train_clip_size: tuple[int, int]
    train_short_side: int
    lite_train_clip_size: tuple[int, int]
    lite_train_short_side: int

    def text_config(self) -> dict:
        from actionvos.network.config import ROBERTA_BASE

        if self.text_layers is None:
            return dict(ROBERTA_BASE)
        return {**TINY_TEXT, "num_hidden_layers": self.text_layers}


FULL = CheckConfig(
    mode="full",
    device="cuda",
    backbone="resnet101",
    text_layers=None,
    frame_size=(360, 640),
    short_side=360,
    window=36,
    frames=36,
    objects=(1, 6, 10),
    long_frames=(36, 144),
    long_objects=6,
    repeat=2,
    lite_frames=36,
    lite_objects=6,
    lite_short_side=None,
    train_warm=2,
    train_steps=5,
    cpu_train_steps=2,
    train_clip_size=(360, 640),
    train_short_side=360,
    lite_train_clip_size=(216, 384),
    lite_train_short_side=192,
)
SMOKE = CheckConfig(
    mode="smoke",
    device="cpu",
    backbone="resnet50",
    text_layers=1,
    frame_size=(64, 96),
    short_side=64,
    window=2,
    frames=2,
    objects=(1, 2),
    long_frames=(2, 6),
    long_objects=2,
    repeat=1,
    lite_frames=2,
    lite_objects=2,
    lite_short_side=64,
    train_warm=0,  # one timed step per model and precision: the code path, not a figure
    train_steps=1,
    cpu_train_steps=1,
    train_clip_size=(96, 128),
    train_short_side=64,
    lite_train_clip_size=(96, 128),
    lite_train_short_side=64,
)


# ------------------------------------------------------------------------------- sections
def environment(device: torch.device) -> dict:
    import transformers

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "device": str(device),
        "cpu_threads": torch.get_num_threads(),
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
    }
    env["memory_measure"] = (
        "torch.cuda.max_memory_allocated above the loaded model"
        if device.type == "cuda"
        else "RSS growth in this process (approximate: memory freed by earlier runs is reused)"
    )
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env["device_name"] = props.name
        env["device_memory_gb"] = props.total_memory / 2**30
        env["capability"] = f"{props.major}.{props.minor}"
    else:
        import psutil

        env["device_name"] = platform.processor() or platform.machine()
        env["device_memory_gb"] = psutil.virtual_memory().total / 2**30
        env["capability"] = None
    return env


def make_engines(cfg: CheckConfig, model: Path) -> dict[str, Any]:
    """An fp32 and a bf16 engine sharing one network on the device."""
    from actionvos.engine.engine import Engine
    from actionvos.engine.loader import load_engine

    fp32 = load_engine(
        model, device=cfg.device, precision="fp32", window=cfg.window, short_side=cfg.short_side
    )
    bf16 = Engine(
        fp32.net,
        fp32.tokenizer,
        device=cfg.device,
        precision="bf16",
        window=cfg.window,
        short_side=cfg.short_side,
        threshold=fp32.threshold,
    )
    return {"fp32": fp32, "bf16": bf16}


def inference_section(cfg: CheckConfig, engines: dict[str, Any]) -> list[dict]:
    frames = synthetic_frames(cfg.frames, *cfg.frame_size)
    for engine in engines.values():
        gm.warm_up(engine, frames[: cfg.window])
    rows = []
    for n in cfg.objects:
        runs = {}
        for mode, (precision, per_object) in MODES.items():
            job = functools.partial(gm.timed_run, engines[precision], frames, n, per_object)
            runs[mode] = gm.fastest(cfg.repeat, job)
        loop = runs["loop_fp32"]
        row: dict[str, Any] = {"n": n, **{m: r.record() for m, r in runs.items()}}
        row["speedup_fp32"] = loop.seconds / runs["batched_fp32"].seconds
        row["speedup_bf16"] = loop.seconds / runs["batched_bf16"].seconds
        row["fp32_loop_vs_batched"] = gm.compare_runs(loop.result, runs["batched_fp32"].result)
        row["bf16_vs_fp32"] = gm.compare_runs(
            runs["batched_fp32"].result, runs["batched_bf16"].result
        )
        rows.append(row)
        print(f"  inference N={n}: done", flush=True)
    return rows


def probe_section(cfg: CheckConfig, engines: dict[str, Any]) -> dict:
    """On the CPU only, where the engine runs bf16 as fp32: the network under CPU autocast."""
    if engines["bf16"].precision == "bf16":
        return {"skipped": "bf16 ran in the engine on this device (see inference)"}
    frames = synthetic_frames(cfg.frames, *cfg.frame_size)
    return gm.cpu_bf16_probe(engines["fp32"], frames, max(cfg.objects))


def memory_section(cfg: CheckConfig, engines: dict[str, Any]) -> dict:
    clips = {count: synthetic_frames(count, *cfg.frame_size) for count in cfg.long_frames}
    # Warm again (cheap) so that one-off workspaces never land in the first clip's peak, also
    # when this section runs alone.
    for engine in engines.values():
        gm.warm_up(engine, clips[min(clips)][: cfg.window])
    rows = []
    for mode, (precision, per_object) in MODES.items():
        for count, frames in clips.items():
            run = gm.timed_run(engines[precision], frames, cfg.long_objects, per_object)
            rows.append({"mode": mode, "frames": count, "windows": len(run.result.windows)})
            rows[-1].update(run.record())
        print(f"  memory {mode}: done", flush=True)
    growth = {}
    for mode in MODES:
        peaks = {r["frames"]: r["peak_mb"] for r in rows if r["mode"] == mode}
        growth[mode] = peaks[max(peaks)] - peaks[min(peaks)]
    return {"objects": cfg.long_objects, "rows": rows, "growth_mb": growth}


def lite_section(cfg: CheckConfig, lite: gm.LiteModel) -> dict:
    from actionvos.engine.loader import load_engine

    frames = synthetic_frames(cfg.lite_frames, *cfg.frame_size)
    options = {} if cfg.lite_short_side is None else {"short_side": cfg.lite_short_side}
    out: dict[str, Any] = {
        "weights": lite.weights,
        "notes": list(lite.notes),
        "frames": cfg.lite_frames,
        "objects": cfg.lite_objects,
    }
    for precision in ("fp32", "bf16"):
        engine = load_engine(lite.path, device=cfg.device, precision=precision, **options)
        out["short_side"] = engine.short_side
        gm.warm_up(engine, frames[: cfg.window])
        job = functools.partial(gm.timed_run, engine, frames, cfg.lite_objects, False)
        out[precision] = gm.fastest(cfg.repeat, job).record()
        del engine
    return out


#: (device, precision, steps in all) -> a fresh network, its tokenizer, clips and settings.
TrainJob = Callable[[str, str, int], tuple]


def lite_train_job(cfg: CheckConfig, lite: gm.LiteModel) -> TrainJob:
    """A :data:`TrainJob` for Lite (its own recipe: frozen encoders, Lite's resolution)."""
    from actionvos.checkpoints import load
    from actionvos.engine.loader import tokenizer_for
    from actionvos.training import AugmentSettings
    from actionvos.training.lite import SyntheticClips, lite_train_settings

    def job(device: str, precision: str, steps: int) -> tuple:
        net = load(lite.path)
        settings = lite_train_settings(
            steps,
            device=device,
            precision=precision,
            augment=AugmentSettings.for_short_side(cfg.lite_train_short_side),
        )
        clips = SyntheticClips(0, 2, size=cfg.lite_train_clip_size)
        return net, tokenizer_for(net, lite.path, None), clips, settings

    return job


def big_train_job(cfg: CheckConfig, model: Path) -> TrainJob:
    """Like :func:`lite_train_job` for the recipe R101 (R50 in smoke mode), upstream recipe."""
    from actionvos.checkpoints import load
    from actionvos.engine.tokenizer import load_tokenizer
    from actionvos.training import AugmentSettings, TrainSettings
    from actionvos.training.lite import SyntheticClips

    def job(device: str, precision: str, steps: int) -> tuple:
        settings = TrainSettings(
            steps=steps,
            seed=0,
            device=device,
            precision=precision,
            augment=AugmentSettings.for_short_side(cfg.train_short_side),
        )
        clips = SyntheticClips(0, 2, size=cfg.train_clip_size)
        return load(model), load_tokenizer(model / "tokenizer"), clips, settings

    return job


def train_section(
    cfg: CheckConfig, tmp: Path, name: str, model: str, weights: str, job: TrainJob
) -> dict:
    """Trainer steps/s of one model: bf16 and fp32 on the device, fp32 on the CPU."""
    runs = [
        ("device_bf16", cfg.device, "bf16", cfg.train_steps),
        ("device_fp32", cfg.device, "fp32", cfg.train_steps),
        ("cpu", "cpu", "fp32", cfg.cpu_train_steps),
    ]
    rec: dict[str, Any] = {"model": model, "weights": weights}
    for key, device, precision, steps in runs:
        if key == "cpu" and torch.device(cfg.device).type == "cpu":
            rec[key] = {**rec["device_fp32"], "note": "the device is the CPU: same run"}
            continue
        # One untimed step on the CPU is enough: no kernels to select, and it is slow.
        warm = cfg.train_warm if key != "cpu" else min(1, cfg.train_warm)
        net, tokenizer, clips, settings = job(device, precision, warm + steps)
        where = tmp / f"train-{name}-{key}"
        rec[key] = gm.train_rate(net, tokenizer, clips, settings, where, warm, steps)
        del net
    rate = {k: rec[k]["steps_per_s"] for k in ("device_bf16", "device_fp32", "cpu")}
    rec["bf16_over_fp32"] = rate["device_bf16"] / rate["device_fp32"]
    rec["device_bf16_over_cpu"] = rate["device_bf16"] / rate["cpu"]
    rec["device_fp32_over_cpu"] = rate["device_fp32"] / rate["cpu"]
    return rec


# ------------------------------------------------------------------------------- output
def write_json(path: Path, report: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=float) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def run_section(report: dict, key: str, fn: Callable[[], Any], out: Path) -> None:
    """Run one section (``train.lite`` is ``report['train']['lite']``); a crash prints and
    keeps its traceback and the other sections go on. The JSON is rewritten after each."""
    print(f"[{key}]", flush=True)
    head, _, tail = key.partition(".")
    where = report.setdefault(head, {}) if tail else report
    start = time.perf_counter()
    try:
        where[tail or head] = fn()
    except Exception:
        text = traceback.format_exc()
        print(text, file=sys.stderr, flush=True)
        report["errors"][key] = text
    report["section_seconds"][key] = time.perf_counter() - start
    write_json(out, report)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes on the CPU (the test)")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "bench/out")))
    ap.add_argument("--device", help="default: cuda, or cpu with --smoke")
    ap.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset")
    ap.add_argument(
        "--minilm-config",
        type=Path,
        default=ROOT / ".gpu_carry" / "minilm",
        help="MiniLM config + tokenizer folder for a random-weight Lite where packages lack",
    )
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown or not chosen:
        ap.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    args.sections = chosen
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = SMOKE if args.smoke else FULL
    if args.device:
        cfg = dataclasses.replace(cfg, device=args.device)
    from actionvos.engine.device import resolve_device
    from actionvos.errors import ActionVOSError

    try:
        device = resolve_device(cfg.device)
    except ActionVOSError as exc:
        sys.exit(f"gpu_check: {exc}; run with --smoke for the CPU check")
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "gpu_check.json"
    config = {k: v for k, v in dataclasses.asdict(cfg).items()}
    report: dict[str, Any] = {"config": config, "errors": {}, "section_seconds": {}}
    report["environment"] = environment(device)
    print(json.dumps(report["environment"]), flush=True)
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as name:
        tmp = Path(name)
        state: dict[str, Any] = {}

        def model() -> Path:
            """The recipe model, saved once by the first section that needs it."""
            if "model" not in state:
                build_model(tmp / cfg.backbone, cfg.backbone, cfg.text_config())
                state["model"] = tmp / cfg.backbone
            return state["model"]

        def engines() -> dict[str, Any]:
            if "engines" not in state:
                state["engines"] = make_engines(cfg, model())
            return state["engines"]

        def lite() -> gm.LiteModel:
            if "lite" not in state:
                state["lite"] = gm.lite_model(tmp, args.minilm_config)
            return state["lite"]

        jobs: list[tuple[str, Callable[[], Any]]] = [
            ("inference", lambda: inference_section(cfg, engines())),
            ("inference_cpu_bf16", lambda: probe_section(cfg, engines())),
            ("memory", lambda: memory_section(cfg, engines())),
            ("lite", lambda: lite_section(cfg, lite())),
            (
                "train.lite",
                lambda: train_section(
                    cfg, tmp, "lite", "lite", lite().weights, lite_train_job(cfg, lite())
                ),
            ),
            (
                "train.big",
                lambda: train_section(
                    cfg, tmp, "big", cfg.backbone, "recipe", big_train_job(cfg, model())
                ),
            ),
        ]
        for key, job in jobs:
            if key.partition(".")[0].partition("_")[0] not in args.sections:
                continue
            if key.startswith(("lite", "train")) and "engines" in state:
                del state["engines"]  # free the device for the sections that follow
                if device.type == "cuda":
                    torch.cuda.empty_cache()
            run_section(report, key, job, out)
    report["targets"] = targets(report)
    write_json(out, report)
    print_tables(report)
    print(f"\nwrote {out}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
