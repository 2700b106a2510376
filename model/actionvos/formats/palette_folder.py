"""Plain palette-PNG folders, the DAVIS convention: ``<folder>/<frame>.png``, value k = object k.

DAVIS names frames ``00000.png`` (five digits, from 0); EPIC-style names
``frame_0000000001.png`` are read too. ``objects.json`` beside the masks maps each value to
an object name (``{"1": {"name": "knife", "class_id": 4}}``); without it, values become
objects named ``object <k>``. Palette PNGs hold values up to 255.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from actionvos.errors import ClipError, InputError, StoreError
from actionvos.formats.atomic import write_palette, write_text
from actionvos.formats.common import ImportReport, Progress, frame_number, load_json, tick
from actionvos.formats.fields import as_class_id, as_int, as_str
from actionvos.palette import read_palette_png
from actionvos.store import FrameState, Store

OBJECTS_FILE = "objects.json"
_DAVIS_NAME = re.compile(r"^\d+$")


def export_palette_folder(
    store: Store,
    folder: str | Path,
    *,
    frames: Iterable[int] | None = None,
    states: Iterable[FrameState] | None = None,
    davis_names: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write one palette PNG per labelled frame (or per ``frames``); returns the count."""
    objects = store.objects()
    too_big = [o.id for o in objects if o.id > 255]
    if too_big:
        raise StoreError(
            f"objects {too_big[:5]} have ids above 255, which palette PNGs cannot hold; "
            "export COCO RLE instead"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = (
        sorted(int(f) for f in frames)
        if frames is not None
        else store.labelled_frames(list(states) if states is not None else None)
    )
    for n, frame in enumerate(chosen):
        tick(progress, cancel, n, len(chosen), "exporting palette PNGs")
        name = f"{frame:05d}" if davis_names else store.frame_name(frame)
        write_palette(folder / f"{name}.png", store.read_frame(frame))
    table = {str(o.id): {"name": o.name, "class_id": o.class_id} for o in objects}
    write_text(folder / OBJECTS_FILE, json.dumps(table, indent=1))
    return len(chosen)


def _frame_of(store: Store, path: Path) -> int:
    if _DAVIS_NAME.match(path.stem):
        return int(path.stem)
    return store.frame_of_number(frame_number(path.name, str(path)))


def import_palette_folder(
    store: Store,
    folder: str | Path,
    *,
    state: FrameState = FrameState.HUMAN,
    overwrite: bool = False,
    save: bool = True,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Import every ``*.png`` of a folder as one frame's masks, all or nothing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"mask folder {folder} does not exist")
    files = sorted(folder.glob("*.png"))
    if not files:
        raise InputError(f"{folder} holds no .png masks")
    names: dict[int, tuple[str, int | None]] = {}
    if (folder / OBJECTS_FILE).is_file():
        raw = load_json(folder / OBJECTS_FILE, "object table")
        if not isinstance(raw, dict):
            raise InputError(f"{folder / OBJECTS_FILE} must map label values to objects")
        where = str(folder / OBJECTS_FILE)
        for k, v in raw.items():
            if not isinstance(v, dict) or "name" not in v:
                raise InputError(f"{where}: entry {k!r} needs a name")
            value = as_int(k, where, "label value", lo=1, hi=255)
            name = as_str(v["name"], where, f"entry {k!r} name").strip()
            names[value] = (name, as_class_id(v.get("class_id"), where, f"entry {k!r} class_id"))
    plan = []
    for path in files:
        frame = _frame_of(store, path)
        if not 0 <= frame < store.n_frames:
            raise InputError(f"{path} is frame {frame}, outside the clip (0..{store.n_frames - 1})")
        try:
            labels = read_palette_png(path)
        except ClipError as exc:
            raise InputError(str(exc)) from None
        if labels.shape != (store.height, store.width):
            raise InputError(
                f"{path} is {labels.shape[1]}x{labels.shape[0]}; the store's frames are "
                f"{store.width}x{store.height}"
            )
        plan.append((frame, labels))
    values = sorted(set().union(*(np.unique(lab).tolist() for _, lab in plan)) - {0})
    report = ImportReport()
    with store.import_step("import palette masks"):
        lut = np.zeros(256, dtype=np.uint16)
        for k in values:
            name, class_id = names.get(k, (f"object {k}", None))
            lut[k] = store.ensure_object(name, class_id)
            report.objects.append(name)
        for n, (frame, labels) in enumerate(plan):
            tick(progress, cancel, n, len(plan), "importing palette PNGs")
            if store.frame_state(frame) is FrameState.HUMAN and not overwrite:
                report.skipped.append(f"frame {frame} is already human-verified")
                continue
            store.set_masks(frame, lut[labels], state, record=False, overwrite_human=True)
            report.frames.append(frame)
    if save:
        store.save()
    return report
