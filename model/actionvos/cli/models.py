"""``actionvos models``: the models this installation can use, by name.

The shipped ActionVOS-Lite (the default of ``predict`` and the napari widget), official
checkpoints in the checkpoint directories with the roberta-base tokenizer they need, and the
model folders that training or fine-tuning wrote there. ``--select NAME`` makes a fine-tuned
version the default, ``--rollback`` selects the parent of the selected one.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers) -> None:  # noqa: ANN001
    p = subparsers.add_parser(
        "models",
        help="list the models that can be used by name",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    choice = p.add_mutually_exclusive_group()
    choice.add_argument(
        "--select", metavar="NAME", help="make a fine-tuned version (or lite) the default model"
    )
    choice.add_argument(
        "--rollback", action="store_true", help="select the parent of the selected version"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from actionvos.paths import checkpoint_dirs
    from actionvos.registry import list_models

    if args.select or args.rollback:
        from actionvos.finetune.versions import rollback, select

        name = select(args.select) if args.select else rollback()
        print(f"selected: {name}")
        return 0
    entries = list_models()
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=1))
        return 0
    width = max([len(e.name) for e in entries] + [4])
    for e in entries:
        mark = "*" if e.selected else " "
        print(f"{mark} {e.name:<{width}}  {e.kind:<9}  {e.description}")
        print(f"  {'':<{width}}  {'':<9}  {e.path}")
    print("* the default model (actionvos models --select NAME | --rollback)")
    print("checkpoint directories: " + ", ".join(str(d) for d in checkpoint_dirs()))
    return 0
