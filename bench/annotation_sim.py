"""Edits per clip to reach gIoU >= 90: painting by hand vs ActionVOS in the loop.

A simulated annotator (``actionvos.annotation``) edits synthetic clips from seeds never used
in training (1_000_500 onwards by default) until the clip's gIoU over all frames and objects
reaches 0.90, with the smallest edits a person makes: a flag flip, a brush stroke (a disc of
8 px radius at 360p, scaled with the clip), a propagation (and an undo of a propagation that
made things worse). Modes:

* manual: empty masks, brush only;
* model: the model's output, reviewed in the widget's order, with propagation;
* random_order: the same in a random order;
* worst_first: the same in an order that knows the truth (wrong flags first, then each
  object's worst frame): what a confidence that found the worst masks would buy (in the
  table, not in the JSON);
* second_round: the model fine-tuned on the first half of the clips' model-in-the-loop
  annotations, then annotating the second half (needs ``actionvos.finetune``, printed as not
  available without it); its mean is over the second half, printed beside the first round's
  on the same clips.

Also the speed of propagation per frame at 360p.

Usage: python bench/annotation_sim.py [--clips 10] [--seed 1000500] [--json]
           [--frames 12] [--size 180 320] [--checkpoint lite] [--finetune-steps 60]
           [--style default|novel]

Prints a table per mode (mean edits per clip, per object-frame, ratio to manual, object
masks looked at per clip (no edit, but a person's time), edits by kind) and, with
``--json``, one last line ``{"manual": ..., "model": ..., "random_order": ...,
"second_round": ...}`` of mean edits per clip (null for a mode not run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from actionvos.annotation.edits import EditKind
from actionvos.annotation.second_round import (
    FinetuneRound,
    finetune_available,
    finetune_on_annotations,
    labels_a_frame,
)
from actionvos.annotation.simulator import (
    ClipTask,
    Mode,
    SimulationResult,
    SimulationSettings,
    simulate,
)
from actionvos.annotation.start import ModelOutput
from actionvos.engine.loader import load_engine
from actionvos.propagation.flow import FlowCache
from actionvos.propagation.propagate import FORWARD, PropagationRequest, propagate
from actionvos.sample import make_kitchen_clip
from actionvos.sample.styles import STYLES
from actionvos.training.lite import EVAL_SEED_BASE

DEFAULT_SEED = EVAL_SEED_BASE + 500
MODES = ("manual", "model", "random_order", "worst_first", "second_round")
JSON_MODES = ("manual", "model", "random_order")  # and second_round: the four


def run_second_round(
    clips: list, results: dict[str, list[SimulationResult]], args: argparse.Namespace
) -> tuple[list[SimulationResult], list[SimulationResult]]:
    """Fine-tune on the first half's model-in-the-loop annotations; annotate the second half
    again from the new model. Returns (first round, second round) on the second half."""
    half = max(1, len(clips) // 2)
    if len(clips) - half < 1:
        raise SystemExit("the second round needs at least 2 clips (--clips 2 or more)")
    tasks = [ClipTask.from_synthetic(c) for c in clips]
    settings = SimulationSettings(seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        used = sum(labels_a_frame(r) for r in results["model"][:half])
        print(
            f"second round: fine-tuning on {used} of the first {half} clips (the others needed "
            f"no edit, so label no frame), {args.finetune_steps} steps",
            file=sys.stderr,
        )
        model_dir = finetune_on_annotations(
            clips[:half],
            tasks[:half],
            results["model"][:half],
            Path(tmp),
            FinetuneRound(model=args.checkpoint, steps=args.finetune_steps, seed=args.seed),
        )
        engine = load_engine(model_dir)
        second = []
        for clip, task in zip(clips[half:], tasks[half:], strict=True):
            out = ModelOutput.from_result(
                engine.run(clip.frames, clip.object_names, clip.narration)
            )
            second.append(simulate(task, Mode.MODEL, out, settings))
    return results["model"][half:], second


def propagation_speed(seed: int, frames: int = 6) -> float:
    """Seconds per propagated frame at 360p (flow both ways, warp, consistency), cold cache."""
    clip = make_kitchen_clip(seed, n_frames=frames, size=(360, 640))
    sizes = [(clip.masks[0] == k + 1).sum() for k in range(len(clip.object_names))]
    k = int(np.argmax(sizes)) + 1
    request = PropagationRequest(
        0, clip.masks[0] == k, k, min_confidence=0.0, directions=(FORWARD,)
    )
    started = time.perf_counter()
    result = propagate(request, FlowCache(clip.frames))
    return (time.perf_counter() - started) / max(len(result.frames), 1)


def table(results: dict[str, list[SimulationResult]]) -> list[str]:
    manual = results.get("manual")
    base = statistics.mean(r.edits.total for r in manual) if manual else None
    kinds = [k for k in EditKind]
    head = (
        f"{'mode':<13}{'edits/clip':>11}{'per obj-frame':>15}{'x manual':>10}{'reached':>9}"
        f"{'looked at':>11}"
    )
    lines = [head + "".join(f"{k.value:>14}" for k in kinds), "-" * (len(head) + 14 * len(kinds))]
    for mode, rs in results.items():
        mean = statistics.mean(r.edits.total for r in rs)
        per = statistics.mean(r.edits.total / r.object_frames for r in rs)
        ratio = f"{mean / base:.3f}" if base else "-"
        reached = f"{sum(r.reached for r in rs)}/{len(rs)}"
        looked = statistics.mean(r.frames_reviewed for r in rs)
        by_kind = "".join(
            f"{statistics.mean(r.edits.counts.get(k, 0) for r in rs):>14.1f}" for k in kinds
        )
        lines.append(
            f"{mode:<13}{mean:>11.1f}{per:>15.3f}{ratio:>10}{reached:>9}{looked:>11.1f}{by_kind}"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=10)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--size", type=int, nargs=2, default=(180, 320), metavar=("H", "W"))
    ap.add_argument("--checkpoint", default="lite")
    ap.add_argument(
        "--style",
        choices=sorted(STYLES),
        default="default",
        help="the clips' look: default (what Lite was trained on) or novel (held out of its "
        "training: the case the second round is for)",
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--per-clip", action="store_true", help="print every clip's counts")
    ap.add_argument(
        "--finetune-steps",
        type=int,
        default=60,
        help="fine-tuning steps of the second round (0: skip it)",
    )
    args = ap.parse_args()
    if args.seed < EVAL_SEED_BASE:
        sys.exit(f"--seed must be at least {EVAL_SEED_BASE}: lower seeds are training clips")
    torch.set_num_threads(1)
    engine = load_engine(args.checkpoint)
    settings = SimulationSettings(seed=args.seed)
    results: dict[str, list[SimulationResult]] = {m: [] for m in MODES[:4]}
    clips = []
    for i in range(args.clips):
        seed = args.seed + i
        clip = make_kitchen_clip(
            seed, n_frames=args.frames, size=tuple(args.size), style=args.style
        )
        clips.append(clip)
        task = ClipTask.from_synthetic(clip)
        output = ModelOutput.from_result(engine.run(clip.frames, clip.object_names, clip.narration))
        for mode in (Mode.MANUAL, Mode.MODEL, Mode.RANDOM_ORDER, Mode.WORST_FIRST):
            r = simulate(task, mode, output, settings)
            results[mode.value].append(r)
            if args.per_clip:
                print(json.dumps(r.as_dict()))
        done = {m: rs[-1].edits.total for m, rs in results.items()}
        print(f"clip {i + 1}/{args.clips} (seed {seed}): {done}", file=sys.stderr)
    n_objects = statistics.mean(r.object_frames / args.frames for r in results["manual"])
    print(
        f"Simulated annotation of {args.clips} synthetic clips (seeds {args.seed}.."
        f"{args.seed + args.clips - 1}, {args.frames} frames at {args.size[0]}x{args.size[1]}, "
        f"{n_objects:.1f} objects on average, style {args.style}), "
        f"target gIoU >= {settings.target_giou:.2f}, model {args.checkpoint}"
    )
    for line in table(results):
        print(line)
    second = None
    if not finetune_available():
        print("second_round: not available (this build has no actionvos.finetune)")
    elif args.finetune_steps <= 0:
        print("second_round: skipped (--finetune-steps 0)")
    else:
        first, again = run_second_round(clips, results, args)
        second = statistics.mean(r.edits.total for r in again)
        before = statistics.mean(r.edits.total for r in first)
        half = len(clips) - len(again)
        print(
            f"second_round (fine-tuned on clips 1..{half} for {args.finetune_steps} steps, "
            f"annotating clips {half + 1}..{len(clips)}): {second:.1f} edits/clip vs "
            f"{before:.1f} in the first round on the same clips ({second / before:.3f})"
        )
    model = statistics.mean(r.edits.total for r in results["model"])
    rand = statistics.mean(r.edits.total for r in results["random_order"])
    worst = statistics.mean(r.edits.total for r in results["worst_first"])
    print(f"review order vs random order: {model / rand:.3f} of the edits")
    print(f"worst first (knows the truth) vs random order: {worst / rand:.3f} of the edits")
    prop = [r for r in results["model"] if r.propagated_frames]
    if prop:
        per = sum(r.propagation_seconds for r in prop) / sum(r.propagated_frames for r in prop)
        print(
            f"propagation at {args.size[0]}x{args.size[1]} in the runs: {per * 1000:.0f} ms/frame"
        )
    print(f"propagation at 360x640: {propagation_speed(args.seed) * 1000:.0f} ms/frame (cold)")
    if args.json:
        means = {
            m: round(statistics.mean(r.edits.total for r in results[m]), 2) for m in JSON_MODES
        }
        second_mean = None if second is None else round(second, 2)
        print(json.dumps({**means, "second_round": second_mean}))


if __name__ == "__main__":
    main()
