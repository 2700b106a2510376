"""``actionvos finetune``: train a model on label stores people corrected, keep it as a version.

``actionvos finetune STORE [STORE ...] --model lite --preset decoder --minutes 10`` reads the
stores (refusing damaged or foreign ones before anything else), scores the model on held-out
labelled frames, trains, scores again and writes a version (default:
``<checkpoint dir>/finetuned/<name>``, or ``--out DIR``) and selects it as the default model
(``--no-select`` leaves the default alone; ``actionvos models --rollback`` undoes it), unless
its held-out gIoU fell below its parent's (``--select-anyway`` selects it all the same).
Ctrl-C stops after the current step and still writes a usable version.
``torchrun --nproc_per_node=K -m actionvos finetune ...`` trains data-parallel (gloo on CPU,
NCCL on GPU); rank 0 writes.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path


def register(subparsers) -> None:  # noqa: ANN001
    from actionvos.finetune.presets import DECODER_FROM_CLIPS, DEFAULT_PRESET, PRESET_CHOICES
    from actionvos.finetune.replay import DEFAULT_REPLAY
    from actionvos.finetune.run import DEFAULT_PAINTED_WEIGHT, DEFAULT_STEPS, FINETUNE_LR

    p = subparsers.add_parser(
        "finetune",
        help="fine-tune a model on label stores and keep it as a version",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("stores", nargs="+", metavar="STORE", help="label stores (<clip>.actionvos)")
    p.add_argument("--model", default="lite", help="lite (default), a model name or a path")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="version folder (default: <checkpoint dir>/finetuned/<name>)",
    )
    p.add_argument(
        "--preset",
        choices=list(PRESET_CHOICES),
        default=DEFAULT_PRESET,
        help=f"what trains (default {DEFAULT_PRESET}: decoder from {DECODER_FROM_CLIPS} corrected "
        "clips, heads below)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help=f"optimisation steps (default {DEFAULT_STEPS})")
    length.add_argument("--minutes", type=float, help="train for this long instead")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    p.add_argument("--lr", type=float, default=FINETUNE_LR, help=f"default {FINETUNE_LR}")
    p.add_argument(
        "--painted-weight",
        type=float,
        default=DEFAULT_PAINTED_WEIGHT,
        help=f"loss weight of pixels people painted (default {DEFAULT_PAINTED_WEIGHT})",
    )
    p.add_argument(
        "--replay",
        type=float,
        default=None,
        help="share of the steps drawn from the parent's own training data, against "
        f"forgetting (default {DEFAULT_REPLAY} for ActionVOS-Lite and its versions, 0 for an "
        "official checkpoint, which has none)",
    )
    p.add_argument(
        "--holdout-every",
        type=int,
        default=5,
        help="hold out every N-th labelled frame for the before/after scores (default 5; 0: none)",
    )
    p.add_argument(
        "--with-model-frames",
        action="store_true",
        help="also train on frames holding model output (default: human and pseudo-labels)",
    )
    selection = p.add_mutually_exclusive_group()
    selection.add_argument(
        "--no-select", action="store_true", help="do not make it the default model"
    )
    selection.add_argument(
        "--select-anyway",
        action="store_true",
        help="make it the default model even if it scored lower than its parent on the "
        "held-out frames (by default such a version is kept but not selected)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def run(args: argparse.Namespace) -> int:
    from actionvos.batch.sharding import ProcessGroup, shard_from_env
    from actionvos.finetune.evaluation import format_table
    from actionvos.finetune.run import FinetuneRequest, run_finetune
    from actionvos.finetune.samples import DEFAULT_STATES, SampleOptions
    from actionvos.store import FrameState

    shard = shard_from_env()
    device = _device(args.device) if shard.distributed else args.device
    states = DEFAULT_STATES + ((FrameState.MODEL,) if args.with_model_frames else ())
    request = FinetuneRequest(
        stores=tuple(Path(s) for s in args.stores),
        model=args.model,
        preset=args.preset,
        steps=args.steps,
        minutes=args.minutes,
        out=args.out,
        device=device,
        seed=args.seed,
        lr=args.lr,
        painted_weight=args.painted_weight,
        replay=args.replay,
        samples=SampleOptions(states=states, holdout_every=args.holdout_every),
        select=not args.no_select,
        select_if_worse=args.select_anyway,
    )
    cancel = threading.Event()
    show = shard.is_main and not args.quiet and not args.json
    bar = _Bar(show)

    def on_sigint(signum, frame) -> None:  # noqa: ANN001
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print(
            "\nstopping after this step; the version is still written (Ctrl-C again to abort)",
            file=sys.stderr,
        )

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with ProcessGroup(shard, cuda=device.startswith("cuda")):
            result = run_finetune(request, bar.update, cancel)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    if not shard.is_main:
        return 0
    if args.json:
        print(json.dumps(_as_json(result), indent=1))
        return 0
    state = "cancelled at" if result.cancelled else "trained"
    print(f"{result.name}: {state} {result.steps} steps ({result.preset}) in {result.wall_s:.0f} s")
    print(format_table(result.metrics_before, result.metrics_after))
    if result.metrics_before is None:
        print("(no held-out frames: give --holdout-every N and more labelled frames to score)")
    print(f"version: {result.path}")
    if result.selected:
        print("selected as the default model (undo: actionvos models --rollback)")
    if result.not_selected:
        print(result.not_selected)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _as_json(result) -> dict:  # noqa: ANN001
    return {
        "name": result.name,
        "path": str(result.path),
        "parent": result.parent,
        "preset": result.preset,
        "steps": result.steps,
        "wall_s": result.wall_s,
        "cancelled": result.cancelled,
        "metrics_before": result.metrics_before,
        "metrics_after": result.metrics_after,
        "stores": result.stores,
        "selected": result.selected,
        "not_selected": result.not_selected,
        "warnings": result.warnings,
    }


class _Bar:
    """A tqdm bar over the phases and steps (nothing at all when not shown)."""

    def __init__(self, show: bool) -> None:
        self.show = show
        self.bar = None
        self.phase = ""

    def update(self, p) -> None:  # noqa: ANN001  (a FinetuneProgress)
        if not self.show:
            return
        from tqdm import tqdm

        if p.phase != "training":
            if self.bar is not None:
                self.bar.close()
                self.bar = None
            print(f"finetune: {p.phase}", file=sys.stderr)
            return
        if self.bar is None:
            self.bar = tqdm(total=p.steps or None, unit="step", desc="finetune", file=sys.stderr)
        self.bar.update(p.step - self.bar.n)
        if p.loss is not None:
            self.bar.set_postfix(loss=f"{p.loss:.3f}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
