"""Fine-tune Lite on corrected clips of a style it never saw; score before/after; check forgetting.

Four clips of the ``novel`` style (other tables and light, a tilted camera, nouns outside
Lite's training vocabulary) are written as label stores whose ground truth is recorded as
human-verified (what ``actionvos sample --layout --store`` writes: a stand-in for clips people
corrected). Each preset fine-tunes the model on them for the same wall-clock budget through
``run_finetune`` (the code path of ``actionvos finetune``); then the parent and each version
are scored on 10 *other* novel clips and on 10 clips of the original style (forgetting), with
the six ActionVOS figures (``score_engine``: the in-memory twin of ``actionvos evaluate``).

    python bench/finetune.py                          # the shipped lite, 10 minutes per preset
    python bench/finetune.py --model /path/to/run --presets decoder --minutes 10
    python bench/finetune.py --minutes 0.5 --eval-clips 2 --eval-frames 6   # a smoke run
    python bench/finetune.py --presets decoder --replays 0,0.5 --lrs 1e-4,2e-4  # a grid

Targets (issue 9): novel gIoU and accuracy +10 points each; original style within -2 points.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

FIGURES = ("p_miou", "n_miou", "p_ciou", "n_ciou", "giou", "accuracy")
#: Seeds of the fine-tuning stores and of the novel evaluation clips: above the seeds Lite
#: trains on, and apart from each other and from the default-style evaluation seeds.
TRAIN_SEED = 3_000_000
NOVEL_EVAL_SEED = 3_100_000


def make_stores(root: Path, count: int, n_frames: int, size: tuple[int, int]) -> list[Path]:
    from actionvos.sample import make_kitchen_clip, write_sample
    from actionvos.sample.label_store import write_clip_store

    stores = []
    for seed in range(TRAIN_SEED, TRAIN_SEED + count):
        clip = make_kitchen_clip(seed, n_frames=n_frames, size=size, style="novel")
        paths = write_sample(clip, root / f"clip-{seed}", video=False, masks=False)
        path = root / f"clip-{seed}.actionvos"
        stores.append(write_clip_store(clip, path, clip_path=paths["frames"], video=f"n{seed}"))
    return stores


def score(model: str, clips: list, device: str) -> dict:
    from actionvos.engine.loader import load_engine
    from actionvos.metrics.engine_eval import score_engine

    engine = load_engine(model, device=device)
    return score_engine(engine, clips).as_dict()


def pct(v: float | None) -> str:
    return "  n/a" if v is None else f"{100 * v:5.1f}"


def table(rows: list[tuple[str, dict, dict]], base: tuple[dict, dict]) -> str:
    head = f"{'':<24}" + "".join(f"{k:>13}" for k in FIGURES)
    lines = [head]
    for name, novel, default in [("parent", *base), *rows]:
        for style, m, b in (("novel", novel, base[0]), ("default", default, base[1])):
            cells = []
            for k in FIGURES:
                d = "" if name == "parent" else f" ({100 * (m[k] - b[k]):+.1f})"
                cells.append(f"{pct(m[k]).strip() + d:>13}")
            lines.append(f"{name + ' / ' + style:<24}" + "".join(cells))
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="lite", help="parent: lite (default), a name or a path")
    p.add_argument("--presets", default="heads,decoder,full", help="comma-separated presets")
    p.add_argument("--minutes", type=float, default=10.0, help="training budget per preset")
    p.add_argument(
        "--replays",
        default=None,
        help="comma-separated replay shares, each run with every preset (default: the "
        "fine-tune's own default)",
    )
    p.add_argument(
        "--lrs",
        default=None,
        help="comma-separated learning rates, each run with every preset and replay (default: "
        "the fine-tune's own, FINETUNE_LR)",
    )
    p.add_argument("--train-clips", type=int, default=4)
    p.add_argument("--train-frames", type=int, default=24)
    p.add_argument("--eval-clips", type=int, default=10)
    p.add_argument("--eval-frames", type=int, default=24)
    p.add_argument("--size", default="360x640", help="HEIGHTxWIDTH of every clip")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = p.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from actionvos.finetune import FinetuneRequest, run_finetune
    from actionvos.finetune.run import FINETUNE_LR
    from actionvos.finetune.versions import read_version
    from actionvos.training.lite import EVAL_SEED_BASE, synthetic_eval_clips

    h, w = (int(v) for v in args.size.lower().split("x"))
    presets = [s for s in args.presets.split(",") if s]
    replays: list[float | None] = [None]
    if args.replays is not None:
        replays = [float(s) for s in args.replays.split(",")]
    lrs = [FINETUNE_LR] if args.lrs is None else [float(s) for s in args.lrs.split(",")]
    report: dict = {"model": args.model, "minutes": args.minutes, "threads": args.threads}
    with tempfile.TemporaryDirectory(prefix="bench-finetune-") as tmp:
        root = Path(tmp)
        os.environ["ACTIONVOS_CHECKPOINTS"] = str(root / "checkpoints")  # select nothing real
        t0 = time.perf_counter()
        stores = make_stores(root, args.train_clips, args.train_frames, (h, w))
        novel = synthetic_eval_clips(
            args.eval_clips, NOVEL_EVAL_SEED, args.eval_frames, (h, w), style="novel"
        )
        default = synthetic_eval_clips(args.eval_clips, EVAL_SEED_BASE, args.eval_frames, (h, w))
        print(f"data: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        t0 = time.perf_counter()
        base = (score(args.model, novel, args.device), score(args.model, default, args.device))
        print(f"parent scored: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        report["parent"] = {"novel": base[0], "default": base[1]}
        rows = []
        runs = [(p, r, lr) for p in presets for r in replays for lr in lrs]
        for preset, replay, lr in runs:
            label = preset if replay is None else f"{preset} r{replay:g}"
            label = label if args.lrs is None else f"{label} lr{lr:g}"
            result = run_finetune(
                FinetuneRequest(
                    stores=tuple(stores),
                    model=args.model,
                    preset=preset,
                    minutes=args.minutes,
                    out=root / f"version-{label.replace(' ', '-')}",
                    device=args.device,
                    select=False,
                    replay=replay,
                    lr=lr,
                )
            )
            after = (
                score(str(result.path), novel, args.device),
                score(str(result.path), default, args.device),
            )
            rows.append((label, *after))
            report[label] = {
                "replay": read_version(result.path).settings["replay"],
                "lr": lr,
                "steps": result.steps,
                "wall_s": round(result.wall_s, 1),
                "steps_per_s": round(result.steps / max(result.wall_s, 1e-9), 3),
                "final_loss": result.losses[-1] if result.losses else None,
                "heldout_before": result.metrics_before,
                "heldout_after": result.metrics_after,
                "novel": after[0],
                "default": after[1],
            }
            print(
                f"{label}: {result.steps} steps in {result.wall_s:.0f} s "
                f"({result.steps / max(result.wall_s, 1e-9):.2f} steps/s)",
                file=sys.stderr,
            )
    print(
        f"model {args.model}; {args.train_clips} novel clips x {args.train_frames} frames "
        f"({h}x{w}) to train, {args.minutes} min per preset on {args.device} with "
        f"{args.threads} threads; scored on {args.eval_clips} other novel clips and "
        f"{args.eval_clips} default-style clips x {args.eval_frames} frames (change in points)"
    )
    print(table(rows, base))
    for preset, nov, dft in rows:
        dg = 100 * (nov["giou"] - base[0]["giou"])
        da = 100 * (nov["accuracy"] - base[0]["accuracy"])
        forget = 100 * (dft["giou"] - base[1]["giou"])
        forget_acc = 100 * (dft["accuracy"] - base[1]["accuracy"])
        ok = dg >= 10 and da >= 10 and min(forget, forget_acc) >= -2
        r = report[preset]
        print(
            f"{preset:<10} {r['steps']} steps, {r['wall_s']:.0f} s: novel gIoU {dg:+.1f}, "
            f"accuracy {da:+.1f}; default gIoU {forget:+.1f}, accuracy {forget_acc:+.1f} -> "
            f"{'meets' if ok else 'misses'} the targets"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
