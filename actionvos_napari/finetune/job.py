"""The work behind the Fine-tune button, Qt-free so it can run in a worker thread.

It is :func:`actionvos.finetune.run_finetune`, the code path of ``actionvos finetune``, with
its phase-and-step progress turned into the ``(done, total, message)`` calls every widget
worker reports through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from actionvos.finetune import FinetuneProgress, FinetuneRequest, FinetuneResult, run_finetune
from actionvos_napari.app.gc_pauses import LoadingPause

Progress = Callable[[int, int, str], None]


def describe(p: FinetuneProgress) -> tuple[int, int, str]:
    """One progress report as (done, total, message); total 0 means "no end known"."""
    if p.phase != "training":
        return p.step, p.steps, f"fine-tuning: {p.phase}…"
    parts = [f"fine-tuning: step {p.step}" + (f" of {p.steps}" if p.steps else "")]
    if p.loss is not None:
        parts.append(f"loss {p.loss:.3f}")
    if p.steps_per_s:
        parts.append(f"{p.steps_per_s:.2f} steps/s")
    if p.eta_s is not None:
        parts.append(f"about {p.eta_s:.0f} s left")
    return p.step, p.steps, ", ".join(parts)


def run_finetune_job(
    request: FinetuneRequest,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> FinetuneResult:
    """Fine-tune as the request says; a cancel keeps the steps done so far as a version."""

    # reading the stores, loading the parent and scoring it make long-lived objects: no
    # collections (UI stalls) until training starts, then those objects are frozen
    with LoadingPause() as pause:

        def report(p: FinetuneProgress) -> None:
            if p.phase == "training":
                pause.loaded()
            if progress is not None:
                progress(*describe(p))

        return run_finetune(request, progress=report, cancel=cancel)
