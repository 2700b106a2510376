"""``actionvos sample``: write synthetic kitchen clips with exact ground truth.

One clip as an mp4, frames, masks and ``sample.json``; or, with ``--layout``, K clips as an
ActionVOS dataset split that ``actionvos predict`` and ``actionvos evaluate`` read. Gives
anyone real input with ground truth to try the other commands on, without a download.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from actionvos.errors import InputError


def _size(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must look like HEIGHTxWIDTH, e.g. 240x320; got {text!r}"
        ) from None
    return h, w


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sample",
        help="write synthetic egocentric kitchen clips with ground truth",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("out", help="folder to write into (created if missing)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same clip (default 0)")
    p.add_argument("--frames", type=int, default=24, help="number of frames (default 24)")
    p.add_argument("--size", type=_size, default=(240, 320), help="HEIGHTxWIDTH (240x320)")
    p.add_argument("--fps", type=float, default=15.0, help="frame rate (default 15)")
    p.add_argument("--action", default=None, help="cut, pick-up, put, pour, stir, open, wash")
    p.add_argument(
        "--style",
        default="default",
        help="default, or novel: held-out nouns, other tables and light, a tilted camera",
    )
    p.add_argument("--no-video", action="store_true", help="skip the mp4")
    p.add_argument("--no-frames", action="store_true", help="skip the JPEG frame folder")
    p.add_argument(
        "--layout",
        action="store_true",
        help="write an ActionVOS dataset (JPEGImages_Sparse, Annotations_Sparse, ImageSets)",
    )
    p.add_argument(
        "--clips", type=int, default=1, help="with --layout: clips of seeds SEED.. (default 1)"
    )
    p.add_argument("--split", default="val", help="with --layout: split name (default val)")
    p.add_argument(
        "--store",
        action="store_true",
        help="with --layout: also OUT/<sequence>.actionvos per clip, its ground truth "
        "recorded as human-verified (to try fine-tuning)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a split already in OUT")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.clips < 1:
        raise InputError(f"--clips must be at least 1, got {args.clips}")
    if args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.layout:
        return _run_layout(args)
    if args.clips != 1:
        raise InputError("--clips writes several clips as a dataset; add --layout")
    if args.store:
        raise InputError("--store writes label stores beside a dataset's frames; add --layout")
    return _run_one(args)


def _run_one(args: argparse.Namespace) -> int:
    from actionvos.sample import make_kitchen_clip, write_sample

    h, w = args.size
    if not args.no_video and (h % 2 or w % 2):
        raise InputError(
            f"an mp4 needs an even size; got {h}x{w}. Use e.g. {h + h % 2}x{w + w % 2}"
        )
    clip = make_kitchen_clip(
        seed=args.seed,
        n_frames=args.frames,
        size=args.size,
        fps=args.fps,
        action=args.action,
        style=args.style,
    )
    paths = write_sample(clip, args.out, video=not args.no_video, frames=not args.no_frames)
    print(f"{clip.narration!r}: {len(clip.object_names)} objects")
    for name, active, involved in zip(clip.object_names, clip.active, clip.involved, strict=True):
        print(f"  {name:<16} active={int(active)} involved={int(involved)}")
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def _run_layout(args: argparse.Namespace) -> int:
    from actionvos.sample.dataset import (
        SampleRequest,
        entry_folder,
        video_name,
        write_sample_dataset,
    )
    from actionvos.sample.label_store import write_clip_store
    from actionvos.sample.synthetic import make_kitchen_clip

    # check every setting on a tiny clip first, so a typo fails before K clips are drawn
    make_kitchen_clip(
        seed=args.seed, n_frames=2, size=args.size, action=args.action, style=args.style
    )
    request = SampleRequest(
        seeds=range(args.seed, args.seed + args.clips),
        n_frames=args.frames,
        size=args.size,
        fps=args.fps,
        style=args.style,
        action=args.action,
    )
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=args.clips, unit="clip", file=sys.stderr, desc="actionvos sample")

    def progress(done: int, total: int, folder: str) -> None:
        if bar is not None:
            bar.update(done - bar.n)
            bar.set_postfix_str(folder, refresh=False)

    out = Path(args.out)
    stores: list[Path] = []

    def store_of(clip, entry) -> None:
        folder = entry_folder(entry)
        path = out / f"{folder}.actionvos"
        if path.exists():
            if not args.overwrite:
                raise InputError(f"{path} already exists; pass --overwrite to replace it")
            _remove_synthetic_store(path)
        frames = out / "JPEGImages_Sparse" / args.split / folder
        stores.append(write_clip_store(clip, path, clip_path=frames, video=video_name(clip)))

    if args.store:  # refuse before drawing anything, rather than after K clips
        taken = [p for p in out.glob("*.actionvos")] if out.is_dir() else []
        if taken and not args.overwrite:
            raise InputError(f"{out} already holds label stores; pass --overwrite")
    try:
        report = write_sample_dataset(
            out,
            request,
            split=args.split,
            overwrite=args.overwrite,
            on_clip=store_of if args.store else None,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    print(f"{len(report.sequences)} sequences, {report.frames} frames in {report.root}")
    if stores:
        print(f"{len(stores)} label stores: {stores[0].name} ... in {out}")
    print(f"split: {report.split_json}")
    print(f"ground truth: {report.root / 'Annotations_Sparse' / report.split}")
    return 0


def _remove_synthetic_store(path: Path) -> None:
    """--overwrite replaces stores this command wrote, never someone's own labels."""
    from actionvos.store import Store

    store = Store.open(path, read_only=True)
    try:
        video = store.video
    finally:
        store.close(save=False)
    if not video.startswith("synth-"):
        raise InputError(
            f"{path} holds labels of {video!r}, not a synthetic clip; move it, it is not replaced"
        )
    shutil.rmtree(path)
