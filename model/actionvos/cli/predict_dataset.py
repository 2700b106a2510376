"""``actionvos predict DATASET_ROOT``: every sequence of a split, sharded under torchrun.

Kept apart from ``predict.py`` (one clip) so each file has one job; ``predict.run`` hands a
dataset root over here. Not a sub-command of its own (no ``register``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from actionvos.errors import InputError


def _device(requested: str, local_rank: int, distributed: bool) -> str:
    """One GPU per rank under torchrun: ``cuda`` (or auto with CUDA) means cuda:LOCAL_RANK."""
    if not distributed:
        return requested
    import torch

    if requested == "cuda" or (requested == "auto" and torch.cuda.is_available()):
        return f"cuda:{local_rank}"
    return requested


def run_dataset(args: argparse.Namespace) -> int:
    from actionvos.batch.predict_split import predict_split
    from actionvos.batch.sharding import ProcessGroup, shard_from_env
    from actionvos.cli.predict import check_options, default_out, engine_from_args
    from actionvos.io.dataset import ActionVOSDataset

    root = Path(args.clip)
    if args.narration or args.objects:
        raise InputError(
            f"{root} is a dataset root: names and narrations come from its split file; "
            "drop --narration/--objects (or give one sequence's frame folder instead)"
        )
    check_options(args)
    dataset = ActionVOSDataset(root, args.split)
    if not len(dataset):
        raise InputError(f"{dataset.json_path} lists no sequences; nothing to predict")
    out = Path(args.out) if args.out else default_out(root)
    shard = shard_from_env()
    device = _device(args.device, shard.local_rank, shard.distributed)
    with ProcessGroup(shard, cuda=device.startswith("cuda")) as group:
        engine = engine_from_args(args, device)
        bar, current = None, None

        def progress(folder: str, done: int, total: int, message: str) -> None:
            nonlocal bar, current
            if args.quiet:
                return
            if folder != current:  # one bar per sequence
                from tqdm import tqdm

                if bar is not None:
                    bar.close()
                label = folder if not shard.distributed else f"[{shard.rank}] {folder}"
                bar, current = tqdm(total=total, unit="frame", file=sys.stderr, desc=label), folder
            bar.update(done - bar.n)

        try:
            result = predict_split(
                engine,
                dataset,
                out,
                shard=shard,
                group=group,
                per_object=args.per_object,
                overwrite=args.overwrite,
                info={"checkpoint": str(args.checkpoint), "threshold": engine.threshold},
                progress=progress,
            )
        finally:
            if bar is not None:
                bar.close()
    who = f"rank {shard.rank}/{shard.world}: " if shard.distributed else ""
    print(
        f"{who}wrote {len(result.sequences)} sequences ({result.frames} frames) to {out}",
        file=sys.stderr,
    )
    if result.summary is not None:
        gt = dataset.root / "Annotations_Sparse" / dataset.image_split
        print(f"summary: {result.summary}", file=sys.stderr)
        if gt.is_dir() and dataset.is_split_list:
            print(
                f"score: actionvos evaluate --pred {out} --gt {gt} --split {dataset.json_path}",
                file=sys.stderr,
            )
    return 0
