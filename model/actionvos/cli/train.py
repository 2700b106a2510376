"""``actionvos train``: train ActionVOS-Lite on synthetic kitchen clips (the shipped weights).

``actionvos train --out DIR`` reproduces the shipped weights: its defaults are the shipped run
(``--synthetic 5000 --seed 0 --steps 1800``, ``training.lite.SHIPPED_TRAINING_*``; kept equal
by a test, and written out here so that ``--help`` needs no torch). Clips of seeds S..S+K-1 are
generated as they are drawn, so nothing is read from disk and the same arguments give the same
run. Ctrl-C saves a checkpoint that ``--resume`` continues
(with the run's own network and the parameters it trains).
``--init MODEL`` starts a new run (fresh optimiser and schedule) from a model's weights instead
of from random heads: a second stage of training, on more clips or another style.
``--query-ranker`` gives the network a query ranker (:mod:`actionvos.network.query_ranker`)
if it has none; with ``--train-only query_ranker`` only that trains, and every mask the model
draws stays as it was.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any


def register(subparsers) -> None:  # noqa: ANN001
    p = subparsers.add_parser(
        "train", help="train ActionVOS-Lite on synthetic clips", description=__doc__.splitlines()[0]
    )
    p.add_argument("--out", required=True, help="run folder (model + resume state)")
    p.add_argument(
        "--synthetic",
        type=int,
        default=5000,
        metavar="K",
        help="number of synthetic training clips (seeds S..S+K-1; default 5000, as the shipped "
        "weights)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="first clip seed and the run's seed (default 0, as the shipped weights)",
    )
    p.add_argument(
        "--style",
        default="default",
        help="synthetic style of the training clips (default: default)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=1800,
        help="optimisation steps (default 1800, as the shipped weights)",
    )
    p.add_argument(
        "--lr", type=float, default=None, help="base learning rate (default: the Lite recipe)"
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument(
        "--checkpoint-every", type=int, default=200, help="save every N steps (default 200)"
    )
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument(
        "--init",
        metavar="MODEL",
        default=None,
        help="start from this model's weights (lite, a saved model's name or folder) instead "
        "of random heads; a new run, so not with --resume",
    )
    p.add_argument(
        "--query-ranker",
        action="store_true",
        help="give the Lite network a query ranker that picks each caption's query (a new, "
        "untrained one where the network has none)",
    )
    p.add_argument(
        "--train-only",
        nargs="+",
        metavar="PREFIX",
        default=(),
        help="train only the parameters whose names start with these prefixes (e.g. "
        "query_ranker); default: everything the recipe trains",
    )
    p.add_argument(
        "--calibrate",
        type=int,
        default=8,
        metavar="K",
        help="after training, choose the positive gate θ on K held-out synthetic clips "
        "(seeds from 900000; default 8, 0 to keep θ = 0.75)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from actionvos.errors import InputError
    from actionvos.training import Trainer
    from actionvos.training.lite import SyntheticClips, lite_train_settings

    if args.init is not None and args.resume:
        raise InputError(
            "--resume continues the weights saved in --out and --init starts a new run from "
            "another model's: give one of them"
        )
    trainable = tuple(args.train_only)
    if args.resume:
        net, tokenizer, saved_trainable = resumed_network(Path(args.out), args.query_ranker)
        trainable = trainable or saved_trainable
        origin = None  # the trainer takes it from the run's record
    else:
        net, tokenizer, origin = starting_network(args.init, args.query_ranker)
    extra: dict[str, Any] = {} if args.lr is None else {"lr": args.lr}
    if trainable:
        extra["trainable"] = trainable
    settings = lite_train_settings(
        args.steps,
        seed=args.seed,
        device=args.device,
        checkpoint_every=args.checkpoint_every,
        short_side=net.config.short_side,
        **extra,
    )
    style = None if args.style == "default" else args.style
    clips = SyntheticClips(args.seed, args.synthetic, style=style)
    trainer = Trainer(
        net, tokenizer, clips, settings, Path(args.out), resume=args.resume, init=origin
    )
    cancel = threading.Event()
    bar = tqdm(total=settings.steps, initial=trainer.step, unit="step", desc="train")

    def progress(p) -> None:  # noqa: ANN001
        bar.update(p.step - bar.n)
        bar.set_postfix(loss=f"{p.loss:.3f}", pos=f"{p.terms.get('loss_positive_labels', 0):.3f}")

    try:
        result = trainer.run(progress, cancel)
    except KeyboardInterrupt:
        trainer.save()
        bar.close()
        print(
            f"cancelled at step {trainer.step}; checkpoint saved in {args.out} "
            "(continue with --resume)"
        )
        return 130
    bar.close()
    print(f"{result.steps_done} steps in {result.wall_s:.0f} s; model saved in {result.out}")
    if args.calibrate > 0 and result.steps_done >= settings.steps:
        calibrate(args, result.out)
    return 0


def starting_network(init: str | None, query_ranker: bool) -> tuple[Any, Any, str | None]:
    """A fresh Lite, or the network of model ``init`` with its tokenizer, with a query ranker
    added if asked for, and where it came from (recorded in the run's ``training.json``: a
    registry name, else the path)."""
    from actionvos.errors import InputError
    from actionvos.network import lite_config
    from actionvos.training.lite import build_lite, with_query_ranker

    if init is None:
        net, tokenizer = build_lite(lite_config(query_ranker=query_ranker))
        return net, tokenizer, None
    from actionvos.engine.loader import load_network, tokenizer_for
    from actionvos.registry import resolve_model

    entry = resolve_model(init)
    net = load_network(entry.path)
    tokenizer = tokenizer_for(net, entry.path, None)
    if query_ranker:
        if not net.config.encoders_from_packages:
            raise InputError(
                f"--query-ranker is for ActionVOS-Lite models; {init} is not one (leave it out)"
            )
        net = with_query_ranker(net)
    return net, tokenizer, entry.reference


def resumed_network(out: Path, query_ranker: bool) -> tuple[Any, Any, tuple[str, ...]]:
    """The network of the run in ``out`` as it was saved, with its tokenizer and the parameter
    prefixes it trains. Built from the run's own configuration, not a fresh Lite's: a run that
    added a query ranker or started from another model resumes with the same network (the
    trainer then restores its weights, optimiser and step)."""
    from actionvos.engine.loader import load_network, tokenizer_for
    from actionvos.errors import InputError
    from actionvos.training.checkpoint import read_record, recorded_trainable

    record = read_record(out)  # says plainly when out is not a run folder
    net = load_network(out)
    if query_ranker and not net.config.query_ranker:
        raise InputError(
            f"the run in {out} has no query ranker and a resumed run keeps its network: leave "
            f"--query-ranker out, or start a new run from its weights with --init {out} "
            "--query-ranker"
        )
    return net, tokenizer_for(net, out, None), recorded_trainable(record)


def calibrate(args: argparse.Namespace, out: Path) -> None:
    from actionvos.engine.loader import load_engine
    from actionvos.training.calibrate import (
        CALIBRATION_SEED_BASE,
        calibrate_threshold,
        write_threshold,
    )
    from actionvos.training.lite import synthetic_eval_clips

    style = None if args.style == "default" else args.style
    clips = synthetic_eval_clips(
        args.calibrate, seed=CALIBRATION_SEED_BASE, n_frames=12, style=style
    )
    engine = load_engine(out, device=args.device)
    result = calibrate_threshold(engine, clips)
    write_threshold(out, result.threshold)
    print(
        f"positive gate θ = {result.threshold:.2f} (gIoU {100 * result.giou:.1f}, accuracy "
        f"{100 * result.accuracy:.1f} on {args.calibrate} calibration clips); written to "
        f"{out / 'config.json'}"
    )
