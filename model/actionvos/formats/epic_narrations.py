"""EPIC-KITCHENS-100 narrations (``EPIC_100_train.csv`` / ``EPIC_100_validation.csv``).

Columns used: ``video_id``, ``narration_id``, ``start_frame``, ``stop_frame`` (EPIC frame
numbers, from 1, inclusive), ``narration``, ``verb``, ``verb_class``, ``noun``,
``noun_class``, ``all_nouns`` and ``all_noun_classes``. The last two are Python list literals
(``"['bag:cereal', 'box:cereal']"``); they are read with ``ast.literal_eval``, which accepts
literals only, and checked to be lists of strings and of integers.
"""

from __future__ import annotations

import ast
import csv
import threading
from dataclasses import dataclass
from pathlib import Path

from actionvos.errors import InputError
from actionvos.formats.common import ImportReport, Progress, tick
from actionvos.formats.fields import as_int
from actionvos.store import Store

REQUIRED = (
    "start_frame",
    "stop_frame",
    "narration",
    "verb",
    "noun",
    "all_nouns",
    "all_noun_classes",
)
_MAX_LITERAL = 20_000  # characters; a real all_nouns cell is tiny


@dataclass(frozen=True)
class Narration:
    """One EPIC-100 narration (frame numbers as in EPIC, counted from 1)."""

    narration_id: str | None
    video_id: str | None
    start_frame: int
    stop_frame: int
    narration: str
    verb: str
    noun: str
    verb_class: int | None
    noun_class: int | None
    all_nouns: tuple[str, ...]
    all_noun_classes: tuple[int, ...]


def _literal_list(text: str, kind: type, where: str) -> tuple:
    text = (text or "").strip()
    if not text:
        return ()
    if len(text) > _MAX_LITERAL:
        raise InputError(f"{where}: the list is implausibly long ({len(text)} characters)")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise InputError(f"{where}: {text[:60]!r} is not a Python list literal") from None
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(
        isinstance(v, kind) and not isinstance(v, bool) for v in value
    ):
        raise InputError(f"{where}: {text[:60]!r} must be a list of {kind.__name__} values")
    if kind is int:
        return tuple(as_int(v, where, "class id") for v in value)
    return tuple(value)


def _int(text: str | None, where: str, *, required: bool) -> int | None:
    if text is None or str(text).strip() == "":
        if required:
            raise InputError(f"{where} is empty")
        return None
    return as_int(text, where, "the value")


def read_epic_narrations(path: str | Path, video: str | None = None) -> list[Narration]:
    """Parse and check the narration CSV; only ``video``'s rows when given."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise InputError(
                    f"{path} lacks the columns {missing}; is it an EPIC-KITCHENS-100 narration "
                    "CSV (EPIC_100_train.csv)?"
                )
            rows = list(reader)
    except FileNotFoundError:
        raise InputError(f"narration file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the narration file {path}: {exc}") from None
    out = []
    for line, row in enumerate(rows, start=2):
        if video is not None and row.get("video_id") not in (None, video):
            continue
        where = f"{path} line {line}"
        start = _int(row["start_frame"], f"{where} start_frame", required=True)
        stop = _int(row["stop_frame"], f"{where} stop_frame", required=True)
        if stop < start:
            raise InputError(f"{where}: stop_frame {stop} is before start_frame {start}")
        narration = (row["narration"] or "").strip()
        if not narration:
            raise InputError(f"{where}: the narration is empty")
        out.append(
            Narration(
                narration_id=row.get("narration_id") or None,
                video_id=row.get("video_id") or None,
                start_frame=start,
                stop_frame=stop,
                narration=narration,
                verb=(row["verb"] or "").strip(),
                noun=(row["noun"] or "").strip(),
                verb_class=_int(row.get("verb_class"), f"{where} verb_class", required=False),
                noun_class=_int(row.get("noun_class"), f"{where} noun_class", required=False),
                all_nouns=_literal_list(row["all_nouns"], str, f"{where} all_nouns"),
                all_noun_classes=_literal_list(
                    row["all_noun_classes"], int, f"{where} all_noun_classes"
                ),
            )
        )
    return out


def import_epic_narrations(
    store: Store,
    path: str | Path,
    *,
    video: str | None = None,
    save: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Add the video's narrations as actions, all or nothing.

    Narrations already imported (same ``narration_id``) are skipped; ones that start after
    the clip ends are skipped and reported; ends past the clip are cut to its last frame.
    """
    video = video or store.video
    narrations = read_epic_narrations(path, video)
    if not narrations:
        raise InputError(f"{path} has no narrations of video {video}; check the video id")
    report = ImportReport()
    with store.atomic():
        for n, nar in enumerate(narrations):
            tick(progress, cancel, n, len(narrations), "importing narrations")
            start = store.frame_of_number(nar.start_frame)
            end = min(store.frame_of_number(nar.stop_frame), store.n_frames - 1)
            label = f"{nar.narration_id or nar.narration!r}"
            if nar.narration_id and store.action_by_external_id(nar.narration_id):
                report.skipped.append(f"{label} is already in the store")
                continue
            if start < 0 or start > end:
                report.skipped.append(f"{label} (frames {nar.start_frame}..) is outside the clip")
                continue
            action_id = store.add_action(
                nar.narration,
                start,
                end,
                verb=nar.verb or None,
                noun=nar.noun or None,
                verb_class=nar.verb_class,
                noun_class=nar.noun_class,
                all_nouns=list(nar.all_nouns),
                all_noun_classes=list(nar.all_noun_classes),
                external_id=nar.narration_id,
            )
            report.actions.append(action_id)
    if save:
        store.save()
    return report
