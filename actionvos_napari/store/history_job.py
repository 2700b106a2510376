"""The label store section's work, Qt-free: read the history, undo or redo, import narrations.

Each function opens the store itself and closes it before it returns, so it runs in a worker
thread while the panel stays live; what the panel shows comes back as plain data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionvos.errors import Cancelled, InputError
from actionvos.formats.epic_narrations import import_epic_narrations, read_epic_narrations
from actionvos.store import Correction, Store
from actionvos.store.schema import DATABASE_FILE
from actionvos_napari.store_reader import action_entries, mask_layer_data

Progress = Callable[[int, int, str], None]

#: the newest corrections the panel lists; a store keeps every one, the CLI lists them all
SHOWN = 200


@dataclass(frozen=True)
class HistoryView:
    """What the history section shows of one store (empty when there is no store yet)."""

    path: str
    corrections: tuple[Correction, ...] = ()  # newest first, at most SHOWN
    total: int = 0
    can_undo: bool = False
    can_redo: bool = False
    exists: bool = False


def is_store(path: str | Path) -> bool:
    return bool(str(path).strip()) and (Path(path) / DATABASE_FILE).is_file()


def read_history(path: str) -> HistoryView:
    """The store's corrections, newest first, and whether Undo / Redo have anything to do."""
    if not is_store(path):
        return HistoryView(path)
    with Store.open(path, read_only=True) as store, store.snapshot():
        history = store.history()
        can_undo, can_redo = store.can_undo, store.can_redo
    newest = tuple(reversed(history[-SHOWN:]))
    return HistoryView(path, newest, len(history), can_undo, can_redo, exists=True)


def _current_action(store: Store, known: int | None, narration: str) -> int | None:
    """The action the layers show: the one they name, else the one of their narration."""
    actions = store.actions()
    if known is not None and any(a.id == known for a in actions):
        return known
    same = [a for a in actions if narration and a.narration == narration]
    return same[0].id if same else None


@dataclass(frozen=True)
class StepOutcome:
    """An undone (redone) correction and the mask layers as the store now holds them."""

    correction: Correction | None
    layers: list[tuple] = field(default_factory=list)


def step_store(
    path: str,
    undo: bool,
    clip_name: str,
    action_id: int | None,
    narration: str,
    shape: tuple[int, int, int],
    *,
    progress: Progress,
    cancel: threading.Event,
) -> StepOutcome:
    """Undo (or redo) the store's newest applied (oldest undone) correction, save, and read
    the masks, flags and frame states back for the layers (``shape``: theirs, checked first;
    ``action_id`` or else ``narration``: the action they show, which they go on showing).

    Cancel counts only before the store changes: once the step is saved, the layers must be
    brought in line with it, so the read runs to its end.
    """
    word = "undo" if undo else "redo"
    with Store.open(path) as store:
        if tuple(store.shape) != tuple(shape):
            n, h, w = store.shape
            raise InputError(
                f"the store {path} holds {n} frames of {w}x{h}, but the mask layers are "
                f"{shape[0]} frames of {shape[2]}x{shape[1]}: open the store (File › Open on "
                "its folder) to undo in it"
            )
        if cancel.is_set():
            raise Cancelled(f"the store {word} was cancelled; nothing was changed")
        progress(0, 1, f"{word}ing the store's last correction…")
        correction = store.undo() if undo else store.redo()
        if correction is None:
            return StepOutcome(None)
        store.save()
        shown = _current_action(store, action_id, narration)
        layers = mask_layer_data(store, clip_name, shown, progress)
    return StepOutcome(correction, layers)


@dataclass(frozen=True)
class ImportOutcome:
    """A narration import: the actions added, or the CSV's videos when none is the store's."""

    video: str
    added: tuple[int, ...] = ()
    skipped: tuple[str, ...] = ()
    actions: list[dict[str, Any]] = field(default_factory=list)  # as the picker offers them
    current: int | None = None  # the action the layers show
    other_videos: tuple[str, ...] = ()  # set when the CSV has no narration of ``video``

    @property
    def needs_video(self) -> bool:
        return bool(self.other_videos)


def import_narrations(
    path: str,
    csv_path: str,
    video: str | None,
    names: Sequence[str],
    action_id: int | None,
    narration: str,
    *,
    progress: Progress,
    cancel: threading.Event,
) -> ImportOutcome:
    """Add the EPIC-100 narrations of ``video`` (default: the store's) as the store's actions.

    When the CSV holds none of that video, nothing is written and the outcome lists the
    videos it does hold, so the panel can ask which one this clip is. ``names`` are the mask
    layers' object names (label value - 1): the actions come back with flags indexed by them.
    """
    with Store.open(path) as store:
        video = video or store.video
        progress(0, 1, f"reading {Path(csv_path).name}…")
        if not read_epic_narrations(csv_path, video):
            videos = sorted({n.video_id for n in read_epic_narrations(csv_path) if n.video_id})
            if not videos:
                raise InputError(f"{csv_path} holds no narrations; is it an EPIC-100 CSV?")
            return ImportOutcome(video, other_videos=tuple(videos))
        report = import_epic_narrations(
            store, csv_path, video=video, progress=progress, cancel=cancel
        )
        return ImportOutcome(
            video,
            tuple(report.actions),
            tuple(report.skipped),
            action_entries(store, names),
            _current_action(store, action_id, narration),
        )
