"""Before/after scores of a network on held-out labelled frames (the six ActionVOS figures).

The frames come from :func:`actionvos.finetune.samples.read_stores` (held out of training by
a deterministic split); they are scored in memory by
:func:`actionvos.metrics.engine_eval.score_engine`, the same figures ``actionvos evaluate``
computes from folders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from actionvos.metrics.engine_eval import LabelledClip, score_engine

FIGURES = ("p_miou", "n_miou", "p_ciou", "n_ciou", "giou", "accuracy")


def score_network(
    net: torch.nn.Module, tokenizer: Any, clips: Sequence[LabelledClip], device: str = "auto"
) -> dict | None:
    """The scores of ``net`` on ``clips`` as a JSON-ready dict (None when there are none)."""
    if not clips:
        return None
    from actionvos.engine.engine import Engine

    cfg = net.config
    was_training = net.training
    engine = Engine(
        net, tokenizer, device=device, threshold=cfg.pos_cls_threshold, short_side=cfg.short_side
    )
    try:
        return score_engine(engine, clips).as_dict()
    finally:
        net.train(was_training)


def scored_lower(before: dict | None, after: dict | None) -> bool:
    """Whether a version's held-out gIoU fell below its parent's (False when either is not
    known: without held-out frames there is no evidence either way)."""
    b, a = (None if m is None else m.get("giou") for m in (before, after))
    return a is not None and b is not None and a < b


def format_table(before: dict | None, after: dict | None) -> str:
    """A small before/after table in percentage points."""

    def cell(m: dict | None, k: str) -> str:
        v = None if m is None else m.get(k)
        return "  n/a" if v is None else f"{100 * v:5.1f}"

    lines = [f"{'':<9}{'before':>7}{'after':>7}{'change':>8}"]
    for k in FIGURES:
        b, a = (None if m is None else m.get(k) for m in (before, after))
        delta = "" if a is None or b is None else f"{100 * (a - b):+8.1f}"
        lines.append(f"{k:<9}{cell(before, k):>7}{cell(after, k):>7}{delta}")
    return "\n".join(lines)
