"""Saving label layers (plain numpy arrays plus names and flags) into a store.

This is the core of the napari writer, kept free of napari: a layer's label values need not
be store object ids, so values are mapped through object names; only frames whose pixels
differ from the store are written, and the whole call is one undo step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from actionvos.errors import Cancelled, InputError
from actionvos.store.schema import MAX_OBJECT_ID, FrameState, Source

if TYPE_CHECKING:
    from actionvos.store.store import Store

Progress = Callable[[int, int, str], None]


def _frames_of(
    store: Store, labels: np.ndarray | Mapping[int, np.ndarray], frames: Sequence[int] | None
) -> list[tuple[int, object]]:
    if isinstance(labels, Mapping):
        if frames is not None:
            raise InputError("give frames either as the mapping's keys or in frames=, not both")
        return [(int(f), labels[f]) for f in sorted(labels)]
    if getattr(labels, "ndim", None) == 2:
        if frames is None or len(frames) != 1:
            raise InputError("a single 2-D label image needs frames=[its frame index]")
        return [(int(frames[0]), labels)]
    if getattr(labels, "ndim", None) != 3:
        raise InputError(
            f"labels must be frames x height x width (or a {{frame: 2-D array}} mapping); got "
            f"shape {getattr(labels, 'shape', None)}"
        )
    if frames is None:
        if labels.shape[0] != store.n_frames:
            raise InputError(
                f"labels have {labels.shape[0]} frames but the clip has {store.n_frames}; pass "
                "frames=[the store frame of each plane]"
            )
        frames = range(store.n_frames)
    if len(frames) != labels.shape[0]:
        raise InputError(f"{len(frames)} frame indices given for {labels.shape[0]} label planes")
    return [(int(f), i) for i, f in enumerate(frames)]


def _value_map(
    store: Store, names: Mapping[int, str], class_ids: Mapping[int, int] | None
) -> np.ndarray:
    """Lookup table: layer label value -> store object id (identity where unnamed)."""
    lut = np.arange(MAX_OBJECT_ID + 1, dtype=np.uint16)
    seen: dict[str, int] = {}
    for value, name in names.items():
        value = int(value)
        if value == 0:
            continue
        if not 0 < value <= MAX_OBJECT_ID:
            raise InputError(f"label value {value} ({name!r}) is outside 1..{MAX_OBJECT_ID}")
        name = str(name).strip()
        if name in seen and seen[name] != value:
            raise InputError(f"label values {seen[name]} and {value} are both named {name!r}")
        seen[name] = value
        class_id = (class_ids or {}).get(value)
        oid = store.object_id(name)
        if oid is None:
            free = store.object_id_free(value)
            oid = store.add_object(name, class_id, object_id=value if free else None)
        elif class_id is not None and store.object(oid).class_id != class_id:
            store.update_object(oid, class_id=class_id)
        lut[value] = oid
    return lut


def save_layers(
    store: Store,
    labels: np.ndarray | Mapping[int, np.ndarray],
    names: Mapping[int, str],
    *,
    frames: Sequence[int] | None = None,
    action_id: int | None = None,
    active: Mapping[int | str, bool | None] | None = None,
    class_ids: Mapping[int, int] | None = None,
    state: FrameState = FrameState.HUMAN,
    save: bool = True,
    label: str = "edit in napari",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[int]:
    """Write label layers into the store as one correction; returns the frames changed.

    ``labels``: ``(T, H, W)`` planes for ``frames`` (default: every frame of the clip), or
    ``{frame: (H, W)}``. ``names``: layer value -> object name (new names become objects,
    keeping the layer value as id when it is free). ``active``: object name or layer value ->
    flag for ``action_id``. Unchanged frames are not rewritten. ``save`` commits at the end.
    """
    items = _frames_of(store, labels, frames)
    if active and action_id is None:
        raise InputError("active flags need the action they belong to (action_id=...)")
    changed: list[int] = []
    with store.correction(label, action_id):
        lut = _value_map(store, names, class_ids)
        for n, (frame, plane) in enumerate(items):
            if cancel is not None and cancel.is_set():
                raise Cancelled("saving layers was cancelled; nothing was written")
            data = np.asarray(labels[plane] if isinstance(plane, int) else plane)
            if data.size and (data.min() < 0 or data.max() > MAX_OBJECT_ID):
                raise InputError(f"frame {frame} has labels outside 0..{MAX_OBJECT_ID}")
            mapped = lut[data.astype(np.int64, copy=False)]
            if store.set_masks(frame, mapped, state, action_id=action_id):
                changed.append(frame)
            if progress is not None:
                progress(n + 1, len(items), f"frame {frame}")
        for who, flag in (active or {}).items():
            if isinstance(who, str):
                oid = store.object_id(who.strip())
                if oid is None:
                    raise InputError(f"no object named {who!r} for the active flag")
            else:
                oid = int(lut[int(who)])
            store.set_activity(action_id, oid, flag, source=Source.HUMAN)
    if save:
        store.save()
    return changed
