"""What the Fine-tune section does: train on the saved store, register the version, re-run.

Functions over the widget's public parts (``session``, ``jobs``, ``action_box``,
``finetune_box``, ``store_box``, ``status``, ``run``), as
:mod:`actionvos_napari.review.actions` is; the
training itself is :func:`actionvos_napari.finetune.job.run_finetune_job`, Qt-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from napari.utils.notifications import show_info

from actionvos.errors import ActionVOSError, InputError
from actionvos.registry import LITE
from actionvos.store.schema import DATABASE_FILE
from actionvos_napari.finetune.job import run_finetune_job


def saved_store(widget: Any) -> str:
    """The label store a fine-tune learns from: saved, and holding nothing unsaved."""
    if widget.session.unsaved:
        raise InputError(
            "Save first: fine-tuning learns from the label store, and the mask layers hold "
            "edits that are not saved yet"
        )
    store = widget.session.store_path or widget.store_box.path.text().strip()
    if not store or not (Path(store) / DATABASE_FILE).is_file():
        raise InputError(
            "there is no saved label store yet: correct the masks and flags, Save, then "
            "fine-tune on the corrections"
        )
    return store


def finetune(widget: Any) -> Any:
    """Fine-tune the model on the saved corrections in a worker; returns the worker."""
    try:
        widget.jobs.check_idle()
        store = saved_store(widget)
        model = widget.action_box.checkpoint.text() or LITE
        request = widget.finetune_box.request(store, model)
    except ActionVOSError as exc:
        widget.report(exc)
        return None
    return widget.jobs.start(
        "ActionVOS fine-tune",
        f"fine-tuning {Path(model).name} on {store}…",
        run_finetune_job,
        request,
        returned=lambda result: finetuned(widget, result),
        finished=widget.finetune_done.emit,
    )


def finetuned(widget: Any, result: Any) -> None:
    """List the new version, and make it the model to use unless it scored lower than its
    parent on the held-out frames (then the model stays); show its table; offer a re-run."""
    widget.action_box.checkpoint.refresh()
    if result.selected:
        widget.action_box.use_model(result.name)
        then = "it is now the model under Model: press Re-run to segment with it"
    else:
        kept = Path(widget.action_box.checkpoint.text() or LITE).name
        then = (
            f"lower than before on those frames, so the model stays {kept}; "
            f"Re-run with {result.name} tries it anyway"
        )
    widget.finetune_box.show_result(result)
    after, before = result.metrics_after or {}, result.metrics_before or {}
    change = ""
    if "giou" in after and "giou" in before:
        change = f"; held-out gIoU {100 * before['giou']:.1f} → {100 * after['giou']:.1f}"
    widget.status.setText(f"fine-tuned {result.name} ({result.steps} steps){change}; {then}")
    for warning in result.warnings:
        show_info(f"ActionVOS: {warning}")
    show_info(f"ActionVOS: fine-tuned version {result.name} is ready")


def rerun(widget: Any) -> Any:
    """Run the action again with the version the last fine-tune made."""
    version = widget.finetune_box.version
    if version is not None:
        widget.action_box.use_model(version)
    return widget.run()
