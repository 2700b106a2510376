"""``actionvos store``: create, inspect, import into, export from, undo and check label stores.

Examples::

    actionvos store create P01_107.MP4                  # <clip>.actionvos beside the clip
    actionvos store import P01_107.MP4.actionvos visor P01_107.json --frame-mapping fm.json
    actionvos store import P01_107.MP4.actionvos epic EPIC_100_train.csv
    actionvos store pseudo-label P01_107.MP4.actionvos
    actionvos store export P01_107.MP4.actionvos layout dataset_visor --split train \
        --clip P01_107.MP4 --size 854x480
    actionvos store undo P01_107.MP4.actionvos
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from actionvos.errors import InputError
from actionvos.store import FrameState, Store, default_store_path

IMPORTS = ("visor", "hos", "epic", "layout", "coco", "palette")
EXPORTS = ("layout", "coco", "palette")
STATES = {"model": FrameState.MODEL, "pseudo": FrameState.PSEUDO, "human": FrameState.HUMAN}


def _progress(done: int, total: int, what: str) -> None:
    if sys.stderr.isatty():
        print(f"\r{what}: {done}/{total}", end="", file=sys.stderr, flush=True)


def _size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size takes WIDTHxHEIGHT, e.g. 854x480; got {text!r}") from None
    return (w, h)


def _states(names: list[str] | None) -> list[FrameState] | None:
    return [STATES[n] for n in names] if names else None


def cmd_create(args: argparse.Namespace) -> int:
    clip = Path(args.clip) if args.clip else None
    if args.frames and args.height and args.width:
        n, h, w = args.frames, args.height, args.width
    elif clip is not None:
        from actionvos.io import open_clip

        with open_clip(clip) as c:
            claimed = c.n_frames
            n, h, w = c.verify_frame_count(), c.height, c.width  # a truncated file: the truth
        if n != claimed:
            print(
                f"warning: {clip} claims {claimed} frames but only {n} decode (the file is "
                f"truncated); the store is made for {n}",
                file=sys.stderr,
            )
    else:
        raise InputError("give a clip, or --frames, --height and --width")
    path = Path(args.store) if args.store else default_store_path(clip)
    video = args.video or (clip.stem if clip is not None else None)
    Store.create(path, n_frames=n, height=h, width=w, clip=clip, video=video).close()
    print(f"created {path} ({n} frames of {w}x{h}, video {video or path.stem})")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    with Store.open(args.store, read_only=True) as store, store.snapshot():
        frames = store.frame_records()
        by_state: dict[str, int] = {}
        for f in frames:
            by_state[f.state.value] = by_state.get(f.state.value, 0) + 1
        history = store.history()
        info = {
            "store": str(store.path),
            "format_version": store.format_version,
            "video": store.video,
            "frames": store.n_frames,
            "size": [store.width, store.height],
            "labelled": by_state,
            "objects": [
                {"id": o.id, "name": o.name, "class_id": o.class_id} for o in store.objects()
            ],  # fmt: skip
            "actions": len(store.actions()),
            "corrections": sum(c.status == "applied" for c in history),
            "undone": sum(c.status == "undone" for c in history),
            "models": [m.name for m in store.models()],
        }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for key, value in info.items():
        print(f"{key:15s}{value}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with Store.open(args.store) as store:
        kind, src = args.format, args.source
        if kind == "visor":
            from actionvos.formats.visor import import_visor

            report = import_visor(store, src, args.frame_mapping, overwrite=args.overwrite,
                                  progress=_progress)  # fmt: skip
        elif kind == "hos":
            from actionvos.formats.visor_hos import import_visor_hos

            report = import_visor_hos(store, src, args.frame_mapping, progress=_progress)
        elif kind == "epic":
            from actionvos.formats.epic_narrations import import_epic_narrations

            report = import_epic_narrations(store, src, progress=_progress)
        elif kind == "layout":
            from actionvos.formats.actionvos_layout_import import import_actionvos_layout

            report = import_actionvos_layout(
                store, src, split=args.split, overwrite=args.overwrite, progress=_progress
            )
        elif kind == "coco":
            from actionvos.formats.coco_rle import import_coco_rle

            report = import_coco_rle(store, src, overwrite=args.overwrite, progress=_progress)
        else:
            from actionvos.formats.palette_folder import import_palette_folder

            report = import_palette_folder(store, src, overwrite=args.overwrite,
                                           progress=_progress)  # fmt: skip
    print(f"\nimported {report.summary()}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    states = _states(args.states)
    with Store.open(args.store, read_only=True) as store, store.snapshot():
        if args.format == "layout":
            from actionvos.formats.actionvos_layout import export_actionvos_layout

            clip = None
            if args.clip:
                from actionvos.io import open_clip

                clip = open_clip(args.clip)
            try:
                report = export_actionvos_layout(
                    store,
                    args.out,
                    split=args.split,
                    images=clip.frame if clip is not None else None,
                    states=states,
                    size=_size(args.size),
                    use_model=args.use_model,
                    progress=_progress,
                )
            finally:
                if clip is not None:
                    clip.close()
            print(f"\nexported {report.summary()}")
        elif args.format == "coco":
            from actionvos.formats.coco_rle import export_coco_rle

            n = export_coco_rle(store, args.out, states=states, progress=_progress)
            print(f"\nexported {n} RLE annotations to {args.out}")
        else:
            from actionvos.formats.palette_folder import export_palette_folder

            n = export_palette_folder(store, args.out, states=states, progress=_progress)
            print(f"\nexported {n} palette PNGs to {args.out}")
    return 0


def cmd_pseudo_label(args: argparse.Namespace) -> int:
    from actionvos.store.pseudo_labels import apply_pseudo_labels

    with Store.open(args.store) as store:
        for action in store.actions():
            labels = apply_pseudo_labels(store, action.id)
            active = sorted(store.object(o).name for o, lab in labels.items() if lab.positive)
            print(f"{action.narration!r}: active {active}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    with Store.open(args.store) as store:
        for _ in range(args.steps):
            step = store.undo() if args.command_name == "undo" else store.redo()
            if step is None:
                print(f"nothing to {args.command_name}")
                break
            print(f"{args.command_name}: {step.label} ({step.user}, {step.time})")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with Store.open(args.store, read_only=True) as store:
        for c in store.history(include_discarded=args.all):
            print(f"{c.id:5d} {c.time} {c.user:10s} {c.status:9s} {c.label}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with Store.open(args.store, read_only=True) as store:
        problems = store.check()
    for p in problems:
        print(p)
    print("ok" if not problems else f"{len(problems)} problems")
    return 0 if not problems else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("store", help="label stores: create, import, export, undo, check")
    sub = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)

    c = sub.add_parser("create", help="make an empty store for a clip")
    c.add_argument("clip", nargs="?", help="video or frame folder (gives the size)")
    c.add_argument("--store", help="store path (default: <clip>.actionvos)")
    c.add_argument("--frames", type=int)
    c.add_argument("--height", type=int)
    c.add_argument("--width", type=int)
    c.add_argument("--video", help="video id used in exports, e.g. P01_107")
    c.set_defaults(func=cmd_create)

    i = sub.add_parser("info", help="what a store holds")
    i.add_argument("store")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    im = sub.add_parser("import", help=f"import labels ({', '.join(IMPORTS)})")
    im.add_argument("store")
    im.add_argument("format", choices=IMPORTS)
    im.add_argument("source", help="file or folder to import")
    im.add_argument("--frame-mapping", help="VISOR frame_mapping.json (visor, hos)")
    im.add_argument("--split", default="train", help="layout split (default train)")
    im.add_argument("--overwrite", action="store_true", help="replace human-verified frames")
    im.set_defaults(func=cmd_import)

    ex = sub.add_parser("export", help=f"export labels ({', '.join(EXPORTS)})")
    ex.add_argument("store")
    ex.add_argument("format", choices=EXPORTS)
    ex.add_argument("out", help="dataset root (layout), .json file (coco) or folder (palette)")
    ex.add_argument("--split", default="train")
    ex.add_argument("--clip", help="the clip, to write JPEGImages_Sparse (layout)")
    ex.add_argument("--size", help="resize to WIDTHxHEIGHT, e.g. 854x480 (layout)")
    ex.add_argument("--states", nargs="+", choices=sorted(STATES), help="only these frames")
    ex.add_argument("--use-model", action="store_true", help="count model flags as labels")
    ex.set_defaults(func=cmd_export)

    pl = sub.add_parser("pseudo-label", help="action-aware pseudo-labels for every action")
    pl.add_argument("store")
    pl.set_defaults(func=cmd_pseudo_label)

    for name in ("undo", "redo"):
        u = sub.add_parser(name, help=f"{name} the last correction (across sessions)")
        u.add_argument("store")
        u.add_argument("--steps", type=int, default=1)
        u.set_defaults(func=cmd_undo, command_name=name)

    h = sub.add_parser("history", help="the corrections, oldest first")
    h.add_argument("store")
    h.add_argument("--all", action="store_true", help="include discarded redo steps")
    h.set_defaults(func=cmd_history)

    k = sub.add_parser("check", help="read every frame and check the database")
    k.add_argument("store")
    k.set_defaults(func=cmd_check)
