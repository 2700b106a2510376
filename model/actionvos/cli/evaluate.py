"""``actionvos evaluate``: the six ActionVOS figures for a folder of predicted masks.

Same inputs and figures as ActionVOS's ``actionvos_metrics.py``: ``--gt`` is the
``Annotations_Sparse/val`` folder, ``--split`` the split JSON (e.g. ``val_human.json``),
``--pred`` a folder of palette PNGs in the same per-sequence layout.
"""

from __future__ import annotations

import argparse
import sys


def _run(args: argparse.Namespace) -> int:
    from actionvos.metrics import evaluate_folders

    def progress(done: int, total: int, what: str) -> None:
        if args.progress and total:
            print(f"\r[{done}/{total}] {what[:60]:<60}", end="", file=sys.stderr, flush=True)

    scores, _ = evaluate_folders(
        args.pred, args.gt, args.split, skip_flagged=not args.all, progress=progress
    )
    if args.progress:
        print(file=sys.stderr)
    print(scores.to_json() if args.json else scores.format())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score predicted masks with the official ActionVOS metrics",
        description=(
            "Compute p-mIoU, n-mIoU, p-cIoU, n-cIoU, gIoU and accuracy (plus TP/TN/FP/FN) "
            "exactly as ActionVOS's actionvos_metrics.py does. Folders hold one sub-folder per "
            "sequence, {seq_id:08d}_{video}_{verb}_{noun}, with a palette PNG per sparse frame."
        ),
    )
    parser.add_argument("--pred", required=True, help="folder of predicted palette PNGs")
    parser.add_argument("--gt", required=True, help="ground truth, e.g. Annotations_Sparse/val")
    parser.add_argument("--split", required=True, help="split JSON, e.g. val_human.json")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also score sequences flagged redundant, other or missing (skipped by default)",
    )
    parser.add_argument(
        "--progress", action="store_true", help="show progress on stderr while scoring"
    )
    parser.set_defaults(func=_run)
