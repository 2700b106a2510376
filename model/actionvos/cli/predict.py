"""``actionvos predict``: segment the active objects of one clip, or of a whole dataset split.

A clip: one palette PNG per frame (value k = the k-th object given, 0 = background), named
after the frame, and ``objects.json`` with each object's prompt, positive probability and
gate decision. ``objects.json`` is written last, so its presence means the run finished.

A dataset root (``ImageSets/`` and ``JPEGImages_Sparse/``, including the official inference
layout): every sequence of ``--split`` into ``OUT/<sequence>/<frame>.png``, object names and
narration from the split file, and ``OUT/predict.json`` last (see ``actionvos.batch``).
Under ``torchrun --nproc_per_node=K -m actionvos predict ROOT ...`` the ranks share the
sequences; the result is the same as one process's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from actionvos.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="segment the objects involved in an action in one clip",
        description=(
            "Run ActionVOS on a video file or a folder of frames and write palette PNG masks "
            "(value k = the k-th object of --objects) plus objects.json; or on every sequence "
            "of an ActionVOS dataset split, into the official output layout OUT/<seq>/."
        ),
    )
    p.add_argument(
        "clip", metavar="CLIP", help="video file, folder of frames, or ActionVOS dataset root"
    )
    p.add_argument("--narration", help="the action, e.g. 'cut onion' (a clip only)")
    p.add_argument(
        "--objects", nargs="+", metavar="NAME", help="object names, in label order (a clip only)"
    )
    p.add_argument(
        "--split", default="val", help="dataset split to predict (default val; a dataset only)"
    )
    p.add_argument(
        "--checkpoint",
        "--model",
        dest="checkpoint",
        default="lite",
        metavar="NAME|PATH",
        help="a model from `actionvos models` (default: lite, shipped), an official "
        "ActionVOS/ReferFormer .pth, or a directory saved by actionvos",
    )
    p.add_argument(
        "--text-encoder",
        metavar="DIR",
        help="local roberta-base directory (weights and tokenizer); needed with a .pth",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="positive gate θ (default: the one stored with the model, chosen when it was "
        "trained; 0.75 for official checkpoints)",
    )
    p.add_argument("--device", default="auto", help="auto, cuda, cuda:N, mps or cpu")
    p.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "fp32", "bf16"),
        help="auto: bf16 autocast on CUDA and on CPUs with native bf16 (AVX512-BF16, AMX), "
        "fp32 elsewhere; fp32: the official float32 numerics",
    )
    p.add_argument("--object-batch", type=int, default=None, help="objects decoded together")
    p.add_argument(
        "--per-object", action="store_true", help="one forward per object (the official loop)"
    )
    p.add_argument(
        "--short-side",
        type=int,
        default=None,
        help="network input shorter side (default: the model's, 360 for the official ones; "
        "smaller is faster but less accurate)",
    )
    p.add_argument("--window", type=int, default=36, help="frames per forward (official: 36)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: CLIP_masks beside CLIP)")
    p.add_argument("--overwrite", action="store_true", help="replace masks already in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def default_out(clip: Path) -> Path:
    """``<clip without suffix>_masks`` beside the clip."""
    clip = clip.resolve()
    name = clip.stem if clip.is_file() else clip.name
    return clip.parent / f"{name}_masks"


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder")
    if out.is_dir() and not overwrite and any(out.glob("*.png")):
        raise InputError(f"{out} already holds PNG masks; choose another --out or pass --overwrite")
    out.mkdir(parents=True, exist_ok=True)


def frame_png_names(clip, count: int) -> list[str]:
    """PNG file names: the frame's own name with .png, or a zero-padded index."""
    names = getattr(clip, "frame_names", None)
    if names is None or len(names) != count:
        return [f"{t:05d}.png" for t in range(count)]
    stems = [Path(str(n)).stem for n in names]
    if len(set(stems)) != count:
        return [f"{t:05d}.png" for t in range(count)]
    return [f"{s}.png" for s in stems]


def is_dataset_root(path: Path) -> bool:
    """A folder shaped like an ActionVOS dataset root (frames inside it make it a clip)."""
    from actionvos.io.frame_folder import list_frame_files

    return (
        path.is_dir()
        and (path / "ImageSets").is_dir()
        and (path / "JPEGImages_Sparse").is_dir()
        and not list_frame_files(path)
    )


def check_options(args: argparse.Namespace) -> None:
    """Engine options that are checkable before any weights load."""
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise InputError(f"--threshold must be between 0 and 1, got {args.threshold}")
    if (args.short_side is not None and args.short_side < 32) or args.window < 1:
        raise InputError("--short-side must be at least 32 and --window at least 1")


def engine_from_args(args: argparse.Namespace, device: str | None = None):
    """The engine the options describe (``device`` overrides ``--device``)."""
    from actionvos.engine.loader import load_engine

    options = {} if args.short_side is None else {"short_side": args.short_side}
    engine = load_engine(
        args.checkpoint,
        text_encoder=args.text_encoder,
        device=device or args.device,
        precision=args.precision,
        object_batch=args.object_batch,
        window=args.window,
        **options,
    )
    if args.threshold is not None:
        engine.threshold = args.threshold
    return engine


def run(args: argparse.Namespace) -> int:
    if is_dataset_root(Path(args.clip)):
        from actionvos.cli.predict_dataset import run_dataset

        return run_dataset(args)
    return run_clip(args)


def run_clip(args: argparse.Namespace) -> int:
    from actionvos.engine.prompts import build_prompts
    from actionvos.io import open_clip
    from actionvos.palette import write_palette_png

    if not args.narration or not args.objects:
        raise InputError(
            "a clip needs --narration and --objects (e.g. --narration 'cut onion' --objects "
            "knife onion); only a dataset root takes them from its split file"
        )
    prompts = build_prompts(args.objects, args.narration)  # fail fast, before loading weights
    check_options(args)
    clip_path = Path(args.clip)
    clip = open_clip(clip_path)
    clip.verify_frame_count()  # a truncated video must not die half-way through its PNGs
    out = Path(args.out) if args.out else default_out(clip_path)
    _prepare_out(out, args.overwrite)
    engine = engine_from_args(args)

    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(clip), unit="frame", file=sys.stderr, desc="actionvos")

    def progress(done: int, total: int, message: str) -> None:
        if bar is not None:
            bar.update(done - bar.n)
            bar.set_postfix_str(message, refresh=False)

    names = frame_png_names(clip, len(clip))

    def write_window(result, window) -> None:
        # masks go to disk as each window finishes, so memory does not grow with the clip
        for t in range(window.start, window.stop):
            write_palette_png(out / names[t], result.label_map(t))

    try:
        result = engine.run_prompts(
            clip,
            list(args.objects),
            prompts,
            per_object=args.per_object,
            progress=progress,
            on_window=write_window,
            keep_masks=False,
        )
    finally:
        if bar is not None:
            bar.close()
    record = {
        "clip": str(clip_path),
        "narration": args.narration,
        "threshold": result.threshold,
        "checkpoint": str(args.checkpoint),
        "device": str(engine.device),
        "precision": engine.precision,
        "frames": result.num_frames,
        "frame_size": list(result.frame_size),
        "objects": result.summary(),
    }
    (out / "objects.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    active = [o["name"] for o in record["objects"] if o["active"]]
    print(
        f"wrote {result.num_frames} masks to {out}; active: {', '.join(active) or 'none'}",
        file=sys.stderr,
    )
    return 0
