"""``actionvos sample``: write a synthetic kitchen clip (mp4, frames, masks, sample.json).

Gives anyone a real video with exact ground truth to try the other commands on, without
downloading a dataset.
"""

from __future__ import annotations

import argparse

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
        help="write a synthetic egocentric kitchen clip with ground truth",
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
