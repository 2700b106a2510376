"""Official per-object loop vs the batched engine: speed, peak memory, identical label maps.

Same weights (a random-weight model saved once, then loaded by every run), same clip, same
objects. The loop runs one full forward per object per 36-frame window, as the official
inference does; the engine encodes each window's frames once and decodes the objects as one
batch. Every (mode, N) runs in a fresh process so peak memory is measured cleanly (RSS
sampled in a thread, minus the RSS before the run; on CUDA ``max_memory_allocated``).

    python bench/inference.py                        # CPU: R50, 360p, tiny text, 4 frames
    python bench/inference.py --objects 6 --frames 4
    python bench/inference.py --device cuda --backbone resnet101 --dtype bf16 --frames 36
    python bench/inference.py --long                 # peak memory vs clip length (flat)
    python bench/inference.py --lite                 # shipped ActionVOS-Lite: 360p, 6 objects,
                                                     # one 36-frame window (target >= 8 fps)
    python bench/inference.py --lite --precisions fp32 bf16 --frames 108
                                                     # fp32 vs bf16 autocast side by side, per
                                                     # window (the first pays kernel set-up)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

OBJECTS = ["knife", "onion", "cutting board", "pan", "spoon", "plate", "tap", "sponge", "bowl"]
OBJECTS += ["lid"]
NARRATION = "cut onion into the pan"
# The reference fixtures' tiny RoBERTa (same key names as roberta-base, smaller sizes).
TINY_TEXT = {
    "vocab_size": 1000,
    "hidden_size": 768,
    "num_hidden_layers": 1,
    "num_attention_heads": 12,
    "intermediate_size": 512,
    "max_position_embeddings": 66,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-05,
    "hidden_act": "gelu",
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "add_pooling_layer": True,
}


def synthetic_frames(count: int, height: int, width: int) -> np.ndarray:
    """Smooth moving colour patterns (uint8 T x H x W x 3), cheap to make at any size."""
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    frames = np.empty((count, height, width, 3), np.uint8)
    for t in range(count):
        for c in range(3):
            frames[t, ..., c] = 128 + 100 * np.sin(xx / (40 + 7 * c) + yy / 55 + 0.3 * t)
    return frames


def build_model(folder: Path, backbone: str, text_config: dict | None = None) -> None:
    """Save a random-weight model (fixture init recipe, objects made active) and tokenizer.

    ``text_config`` is the RoBERTa size (default :data:`TINY_TEXT`; ``bench/gpu_check.py``
    passes roberta-base's so the GPU figures include the official text encoder's cost).
    """
    import torch

    from actionvos.checkpoints import save
    from actionvos.checkpoints.recipe import apply_recipe
    from actionvos.engine.prompts import build_prompts
    from actionvos.engine.tokenizer import build_byte_bpe_tokenizer
    from actionvos.network import ActionVOSNet, ModelConfig

    torch.manual_seed(0)
    text = dict(TINY_TEXT if text_config is None else text_config)
    net = ActionVOSNet(ModelConfig(backbone=backbone, text_config=text))
    apply_recipe(net, {"positive_cls_embed.3.bias": 1.51})
    save(net, None, folder)
    build_byte_bpe_tokenizer(folder / "tokenizer", build_prompts(OBJECTS, NARRATION) * 3, 1000)


class PeakRSS:
    """Highest resident set size seen while the block runs (sampled every 5 ms).

    ``mark()`` closes a segment (one window) and starts the next, so per-window peaks show
    whether memory grows with clip length.
    """

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.peak = self.base = self.proc.memory_info().rss
        self.segment = self.base
        self.segments: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            rss = self.proc.memory_info().rss
            self.peak = max(self.peak, rss)
            self.segment = max(self.segment, rss)

    def mark(self) -> None:
        self.segments.append(max(self.segment, self.proc.memory_info().rss) - self.base)
        self.segment = 0

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def worker(job: dict) -> dict:
    """One timed run in a fresh process; label maps go to ``job['out']`` (npz)."""
    import torch

    torch.set_num_threads(job["threads"])
    from actionvos.engine.loader import load_engine
    from actionvos.io import ArrayClip

    # ``short_side`` None: the model's own working resolution (Lite: 192 px).
    options = {} if job["short_side"] is None else {"short_side": job["short_side"]}
    engine = load_engine(
        job["model"],
        device=job["device"],
        precision=job["dtype"],
        object_batch=job["object_batch"],
        **options,
    )
    frames = synthetic_frames(job["frames"], *job["frame_size"])
    clip = ArrayClip(frames)
    objects = OBJECTS[: job["n"]]
    # Warm-up on one small frame: one-off kernel and allocator set-up is not inference cost.
    engine.run(ArrayClip(frames[:1, :64, :64]), objects[:1], NARRATION, per_object=True)
    cuda = engine.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    with PeakRSS() as rss:
        marks: list[float] = []

        def progress(done: int, total: int, message: str) -> None:
            if message.endswith(": done"):
                rss.mark()
                marks.append(time.perf_counter())

        t0 = time.perf_counter()
        result = engine.run(
            clip, objects, NARRATION, per_object=job["per_object"], progress=progress
        )
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
    peak = (torch.cuda.max_memory_allocated() - base) if cuda else (rss.peak - rss.base)
    if job.get("out"):
        maps = {f"th{th}": np.stack(list(result.label_maps(th))) for th in (0.0, 0.75)}
        maps["model_theta"] = np.stack(list(result.label_maps()))
        logits = torch.cat([w.logits.float() for w in result.windows], 1).numpy()
        pos = result.positive_per_frame()
        np.savez_compressed(job["out"], logits=logits, positive=pos, **maps)
    return {
        "seconds": seconds,
        "peak_mb": peak / 2**20,
        "window_peaks_mb": [p / 2**20 for p in rss.segments],
        "window_seconds": list(np.diff([t0, *marks])),
        "precision": engine.precision,
        "stored_mb": sum(w.logits.nbytes for w in result.windows) / 2**20,
        "active": int(result.active().sum()),
    }


def run_job(job: dict) -> dict:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(worker, (job,))


def compare(a: str, b: str) -> str:
    """'yes' when both runs' label maps are identical at both thresholds; otherwise how many
    pixels differ and how close the first run's probabilities there are to a decision."""
    import torch

    from actionvos.engine.postprocess import upsample_probs

    x, y = np.load(a), np.load(b)
    dlogit = float(np.abs(x["logits"] - y["logits"]).max())
    note = f"max|dlogit| {dlogit:.1e}"
    keys = [k for k in x.files if k.startswith("th") or k == "model_theta"]
    differ = sum(int((x[k] != y[k]).sum()) for k in keys)
    if differ == 0:
        return f"yes ({note})"
    size = x[keys[0]].shape[1:]
    margin = 0.0
    for t in sorted({int(t) for k in keys for t in np.nonzero(x[k] != y[k])[0]}):
        p = upsample_probs(torch.from_numpy(x["logits"][:, t : t + 1]), size)[:, 0].numpy()
        bad = np.zeros(size, bool)
        for k in keys:
            bad |= x[k][t] != y[k][t]
        q = np.sort(np.concatenate([np.full((1, *size), 0.1), p]), 0)
        gap = np.minimum(np.abs(p - 0.5).min(0), q[-1] - q[-2])
        margin = max(margin, float(gap[bad].max()))
    total = sum(x[k].size for k in keys)
    return f"no: {differ}/{total} px, all within {margin:.1e} of a decision ({note})"


def speed_table(args: argparse.Namespace, model: Path, tmp: Path) -> None:
    head = (
        f"{'N':>3} {'loop fps':>9} {'batch fps':>10} {'ratio':>6} {'loop MB':>8} "
        f"{'batch MB':>9} {'kept MB':>8} {'active':>7}  identical maps"
    )
    print(head)
    for n in args.objects:
        res: dict[str, dict] = {}
        for _ in range(args.repeat):  # alternate the modes so both see the same machine load
            for mode in ("loop", "batched"):
                job = dict(
                    base_job(args, model),
                    n=n,
                    per_object=mode == "loop",
                    frames=args.frames,
                    out=str(tmp / f"{mode}{n}.npz"),
                )
                r = run_job(job)
                if mode not in res or r["seconds"] < res[mode]["seconds"]:
                    res[mode] = r
        lo, ba = res["loop"], res["batched"]
        fps_l, fps_b = args.frames / lo["seconds"], args.frames / ba["seconds"]
        same = compare(str(tmp / f"loop{n}.npz"), str(tmp / f"batched{n}.npz"))
        print(
            f"{n:>3} {fps_l:>9.3f} {fps_b:>10.3f} {fps_b / fps_l:>6.2f} {lo['peak_mb']:>8.0f} "
            f"{ba['peak_mb']:>9.0f} {ba['stored_mb']:>8.2f} {ba['active']:>4}/{n:<2}  {same}",
            flush=True,
        )


def precision_table(args: argparse.Namespace, model: Path, tmp: Path) -> None:
    """Batched engine at each of ``args.precisions``, side by side (alternating, fastest of
    ``--repeat``), with frames/s per window and agreement with the first precision's maps."""
    n = args.objects[0]
    print(
        f"N={n}, batched engine; fps per 36-frame window (first: includes one-off kernel "
        "set-up; later: steady state); agreement with the first precision's label maps"
    )
    print(
        f"{'precision':>10} {'ran':>5} {'fps':>6} {'first':>6} {'later':>6} {'ratio':>6} "
        f"{'peak MB':>8} {'active':>7}  label pixels equal (theta 0 / model theta), max|dpos|"
    )
    res: dict[str, dict] = {}
    for _ in range(args.repeat):
        for precision in args.precisions:
            job = dict(
                base_job(args, model),
                dtype=precision,
                n=n,
                per_object=False,
                frames=args.frames,
                out=str(tmp / f"precision_{precision}.npz"),
            )
            r = run_job(job)
            if precision not in res or r["seconds"] < res[precision]["seconds"]:
                res[precision] = r
    first = args.precisions[0]
    ref = np.load(tmp / f"precision_{first}.npz")
    for precision in args.precisions:
        r = res[precision]
        win = r["window_seconds"]
        window = args.frames / max(1, len(win))
        later = f"{window * (len(win) - 1) / sum(win[1:]):6.2f}" if len(win) > 1 else f"{'-':>6}"
        x = np.load(tmp / f"precision_{precision}.npz")
        equal = [float((x[k] == ref[k]).mean()) for k in ("th0.0", "model_theta")]
        dpos = float(np.abs(x["positive"] - ref["positive"]).max())
        print(
            f"{precision:>10} {r['precision']:>5} {args.frames / r['seconds']:6.2f} "
            f"{window / win[0]:6.2f} {later} {res[first]['seconds'] / r['seconds']:6.2f} "
            f"{r['peak_mb']:8.0f} {r['active']:>4}/{n:<2}  "
            f"{100 * equal[0]:.2f}% / {100 * equal[1]:.2f}%, {dpos:.1e}",
            flush=True,
        )


def long_table(args: argparse.Namespace, model: Path) -> None:
    # A fixed mmap threshold makes glibc return large freed buffers at once, so RSS follows
    # live memory instead of the allocator's high-water mark.
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
    print(f"\n--long: batched engine, N={args.long_objects}, short side {args.long_short_side}")
    print(
        f"{'frames':>7} {'windows':>8} {'seconds':>8} {'fps':>6} {'peak MB':>8} "
        f"{'kept MB':>8}  peak MB per window"
    )
    for frames in args.long_frames:
        job = dict(
            base_job(args, model),
            n=args.long_objects,
            per_object=False,
            frames=frames,
            short_side=args.long_short_side,
            out=None,
        )
        r = run_job(job)
        windows = " ".join(f"{p:.0f}" for p in r["window_peaks_mb"])
        print(
            f"{frames:>7} {len(r['window_peaks_mb']):>8} {r['seconds']:>8.1f} "
            f"{frames / r['seconds']:>6.2f} {r['peak_mb']:>8.0f} {r['stored_mb']:>8.2f}  {windows}",
            flush=True,
        )


def base_job(args: argparse.Namespace, model: Path) -> dict:
    return {
        "model": str(model),
        "device": args.device,
        "dtype": args.dtype,
        "threads": args.threads,
        "short_side": args.short_side,
        "frame_size": tuple(args.frame_size),
        "object_batch": args.object_batch,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--backbone", default="resnet50")
    ap.add_argument("--dtype", default="fp32", choices=("auto", "fp32", "bf16"))
    ap.add_argument(
        "--precisions",
        nargs="+",
        choices=("auto", "fp32", "bf16"),
        help="compare these precisions side by side (batched engine, first --objects value)",
    )
    ap.add_argument("--frames", type=int, default=4, help="clip length for the speed table")
    ap.add_argument("--objects", type=int, nargs="+", default=[1, 3, 6, 10])
    ap.add_argument("--short-side", type=int, default=360, help="network input shorter side")
    ap.add_argument("--frame-size", type=int, nargs=2, default=[720, 1280], metavar=("H", "W"))
    ap.add_argument("--object-batch", type=int, default=None, help="engine sub-batch size")
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell; the fastest counts")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--long", action="store_true", help="only the memory-vs-length table")
    ap.add_argument("--long-frames", type=int, nargs="+", default=[36, 144])
    ap.add_argument("--long-objects", type=int, default=3)
    ap.add_argument("--long-short-side", type=int, default=96)
    ap.add_argument("--model", type=Path, help="use this saved model folder (needs tokenizer/)")
    ap.add_argument(
        "--lite",
        action="store_true",
        help="the shipped ActionVOS-Lite at its own resolution; defaults to 360p, 36 frames, N=6",
    )
    args = ap.parse_args()
    if args.lite:
        from actionvos.registry import shipped_lite_dir

        args.model = shipped_lite_dir()
        defaults = ap.parse_args([])
        if args.frame_size == defaults.frame_size:
            args.frame_size = [360, 640]
        if args.frames == defaults.frames:
            args.frames = 36
        if args.objects == defaults.objects:
            args.objects = [6]
        if args.short_side == defaults.short_side:
            args.short_side = None

    with tempfile.TemporaryDirectory(prefix="bench_inference_") as tmp_name:
        tmp = Path(tmp_name)
        model = args.model
        if model is None:
            model = tmp / "model"
            build_model(model, args.backbone)
        cfg = json.loads((model / "config.json").read_text())
        text = cfg.get("text_model", "roberta")
        if text == "roberta":
            text += f" {cfg['text_config']['num_hidden_layers']} layers"
        short = args.short_side or cfg.get("short_side", 360)
        print(
            f"device={args.device} dtype={args.dtype} threads={args.threads} "
            f"backbone={cfg['backbone']} text={text} "
            f"frames={args.frames} {args.frame_size[0]}x{args.frame_size[1]} -> short side "
            f"{short}; fps = clip frames per second with all N objects"
        )
        if args.precisions:
            precision_table(args, model, tmp)
        elif not args.long:
            speed_table(args, model, tmp)
        else:
            long_table(args, model)


if __name__ == "__main__":
    main()
