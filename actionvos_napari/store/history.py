"""What the Store history section does: list the store's corrections, undo or redo them in
the store, and import EPIC-100 narrations as the store's actions.

Functions over the widget's public parts (``store_box``, ``history_box``, ``pair``,
``session``, ``history``, ``jobs``, ``action_box``, ``status``, ``publish``, ``report``), as
:mod:`actionvos_napari.finetune.actions` is. Reading and writing the store runs in workers
(:mod:`actionvos_napari.store.history_job`), so a long clip's store never holds up the panel.

Store undo / redo writes the store's masks into the two layers already open, replacing their
data: their napari Ctrl-Z history starts anew at that point (what it held is in the store and
its history). That is why they refuse while the layers hold edits that are not saved.
"""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path
from typing import Any

from napari.qt.threading import create_worker
from napari.utils.notifications import show_info
from qtpy.compat import isalive
from qtpy.QtWidgets import QFileDialog, QInputDialog

from actionvos.errors import ActionVOSError, InputError
from actionvos_napari.layers.convert import META
from actionvos_napari.segment import action_switch
from actionvos_napari.segment.objects_table import ObjectRows
from actionvos_napari.store.history_box import frame_ranges
from actionvos_napari.store.history_job import (
    HistoryView,
    ImportOutcome,
    StepOutcome,
    import_narrations,
    is_store,
    read_history,
    step_store,
)

CSV_FILTER = "EPIC-100 narrations (*.csv);;All files (*)"


def connect_history(widget: Any) -> None:
    """Wire the section: buttons, and a fresh read after Save, a new path or a reopen."""
    box = widget.history_box
    box.timer.timeout.connect(partial(refresh, widget))
    widget.store_box.path.textChanged.connect(box.schedule)  # typed, browsed or reopened
    widget.viewer.layers.events.inserted.connect(box.schedule)  # a store opened again
    widget.save_done.connect(partial(refresh, widget))
    box.undo_button.clicked.connect(lambda: widget.store_undo())
    box.redo_button.clicked.connect(lambda: widget.store_redo())
    box.import_button.clicked.connect(lambda: widget.import_narrations())
    refresh(widget)


def refresh(widget: Any) -> Any:
    """Read the store's history in a worker and show it; returns the worker."""
    box = widget.history_box
    box.generation += 1
    generation = box.generation
    worker = create_worker(
        read_history,
        widget.store_box.path.text().strip(),
        _start_thread=False,
        _connect={
            "returned": partial(_show, widget, generation),
            "errored": partial(_unreadable, widget, generation),
        },
    )
    box.worker = worker
    worker.start()
    return worker


def _current(widget: Any, generation: int) -> bool:
    """The read is the newest asked for, and the panel is still there to show it."""
    box = widget.history_box
    return isalive(box) and generation == box.generation


def _show(widget: Any, generation: int, view: HistoryView) -> None:
    if _current(widget, generation):  # an older read that finished late says nothing new
        widget.history_box.show_view(view)


def _unreadable(widget: Any, generation: int, exc: BaseException) -> None:
    """A store the history cannot be read from is shown as such; a bug keeps its traceback."""
    if not isinstance(exc, ActionVOSError):
        widget.report(exc)
        return
    if _current(widget, generation):
        widget.history_box.show_problem(str(exc))


def saved_store(widget: Any) -> str:
    """The label store the section acts on: the one Save writes to, already saved."""
    path = widget.store_box.path.text().strip()
    if not is_store(path):
        raise InputError(
            "there is no saved label store yet: Save the masks first (or open a store with "
            "File › Open on its folder)"
        )
    return path


# --- Store undo / redo ----------------------------------------------------------------------
def store_step(widget: Any, undo: bool) -> Any:
    """Undo (redo) the store's newest (last undone) correction in a worker; returns it."""
    word = "undo" if undo else "redo"
    pair = widget.pair
    try:
        widget.jobs.check_idle()
        path = saved_store(widget)
        if pair is None:
            raise InputError(
                f"open the store's mask layers first (File › Open on {Path(path).name}): Store "
                f"{word} changes the store and the two layers together"
            )
        if widget.session.unsaved:
            raise InputError(
                f"Save or discard first: the mask layers hold edits that are not saved, and "
                f"Store {word} would replace them with the store's masks"
            )
        if not widget.store_box.save_button.isEnabled():
            raise InputError(f"wait for the save to finish, then press Store {word}")
    except ActionVOSError as exc:
        widget.report(exc)
        return None
    meta = pair.active.metadata[META]
    clip_name = meta.get("clip_layer") or pair.active.name
    shape = tuple(int(n) for n in pair.active.data.shape)
    edits_at_start = widget.session.edit_count
    _hold(widget)
    return widget.jobs.start(
        f"Store {word}",
        f"store {word}…",
        step_store,
        path,
        undo,
        clip_name,
        meta.get("action_id"),
        meta.get("narration") or "",
        shape,
        returned=partial(_stepped, widget, path, undo, edits_at_start),
        finished=partial(_release, widget),
    )


def _stepped(widget: Any, path: str, undo: bool, edits_at_start: int, out: StepOutcome) -> None:
    """Bring the layers in line with the store after the step."""
    word = "undo" if undo else "redo"
    c = out.correction
    if c is None:
        widget.status.setText(f"the store has nothing to {word}")
        return
    what = f"store {word}: {c.label!r} (frames {frame_ranges(c.frames)})"
    pair = widget.pair
    if pair is None or widget.session.edit_count != edits_at_start:
        # edits made while the store changed stay on screen, unsaved; nothing of them is lost
        widget.status.setText(
            f"{what}; the layers were edited (or closed) meanwhile, so they still show your "
            "edits, not the store: Save writes them over it, or reopen the store to see it"
        )
        return
    write_layers(widget, out.layers)
    widget.session.store_path = path
    widget.status.setText(
        f"{what}; the layers show the store's masks and flags again (their Ctrl-Z history "
        "starts here)"
    )


def write_layers(widget: Any, layers: list[tuple]) -> None:
    """Put the store's masks, flags and frame states into the two open mask layers.

    The data is replaced, not painted over, so the UI thread does no work per pixel; napari's
    undo history of both layers (and the widget's linked steps over them) starts anew, since
    its entries describe pixels that are no longer there.
    """
    pair = widget.pair
    for layer, (data, kwargs, _) in zip((pair.active, pair.inactive), layers, strict=True):
        layer.data = data
        layer.metadata[META] = kwargs["metadata"][META]
        layer.colormap = kwargs["colormap"]
        layer._reset_history()  # napari has no public call for it; its entries are stale
        widget.history.forget(layer)
        widget.history.watch(layer)
    meta = pair.active.metadata[META]
    widget.session.outcome = None  # the last run no longer describes these masks
    rows = ObjectRows(
        list(meta["object_names"]),
        list(meta["probabilities"]),
        list(meta["active"]),
        [list(r) for r in meta["reasons"]],
        set(meta["reviewed"]),
    )
    widget.publish(rows)
    if meta.get("narration"):
        widget.action_box.narration.value = meta["narration"]
    action_switch.show_store_actions(widget)
    widget.confidence_feed.schedule()


# --- EPIC-100 narrations --------------------------------------------------------------------
def import_csv(widget: Any) -> Any:
    """Pick an EPIC-100 CSV and import the clip's narrations as actions; returns the worker."""
    try:
        widget.jobs.check_idle()
        path = saved_store(widget)
    except ActionVOSError as exc:
        widget.report(exc)
        return None
    csv_path, _ = QFileDialog.getOpenFileName(
        widget, "EPIC-KITCHENS-100 narrations", str(Path(path).parent), CSV_FILTER
    )
    if not csv_path:
        return None
    return _start_import(widget, path, csv_path, None)


def _start_import(widget: Any, path: str, csv_path: str, video: str | None) -> Any:
    pair = widget.pair
    meta = pair.active.metadata[META] if pair is not None else {}
    box = widget.history_box
    box.pending = None
    _hold(widget)
    return widget.jobs.start(
        "EPIC-100 import",
        f"importing narrations from {Path(csv_path).name}…",
        import_narrations,
        path,
        csv_path,
        video,
        list(meta.get("object_names") or []),
        meta.get("action_id"),
        meta.get("narration") or "",
        returned=partial(_imported, widget),
        finished=partial(_import_finished, widget, path, csv_path),
    )


def _imported(widget: Any, out: ImportOutcome) -> None:
    box = widget.history_box
    if out.needs_video:
        box.pending = out  # asked once the job is over (a second import may then start)
        return
    pair = widget.pair
    if pair is not None:
        for layer in (pair.active, pair.inactive):
            meta = layer.metadata[META]
            meta["actions"] = copy.deepcopy(out.actions)
            if meta.get("action_id") is None and out.current is not None:
                meta["action_id"] = out.current
        action_switch.show_store_actions(widget)
    text = f"imported {len(out.added)} narrations of video {out.video} as actions"
    if out.added:
        text += "; pick one under Store action to review its flags"
    if out.skipped:
        text += f"; skipped {len(out.skipped)}: " + "; ".join(out.skipped[:3])
    widget.status.setText(text)
    show_info(f"ActionVOS: {text}")


def _import_finished(widget: Any, path: str, csv_path: str) -> None:
    _release(widget)
    out: ImportOutcome | None = widget.history_box.pending
    widget.history_box.pending = None
    if out is None:
        return
    video, ok = QInputDialog.getItem(
        widget,
        "Which video is this clip?",
        f"{Path(csv_path).name} has no narrations of video {out.video} (the store's). Import "
        "the narrations of video:",
        list(out.other_videos),
        0,
        True,
    )
    video = video.strip() if ok else ""
    if not video:
        widget.status.setText(
            f"nothing imported: {Path(csv_path).name} has no narrations of video {out.video}"
        )
        return
    _start_import(widget, path, csv_path, video)


# --- shared ---------------------------------------------------------------------------------
def _hold(widget: Any) -> None:
    """The store is busy: no second store job, and no Save into it, until this one is done."""
    widget.history_box.hold()
    widget.store_box.save_button.setEnabled(False)


def _release(widget: Any) -> None:
    widget.store_box.save_button.setEnabled(True)
    widget.history_box.release()
    refresh(widget)
