"""napari reader for ``.actionvos`` label stores: reopen saved work where it was left.

Opening a store brings back the clip it records (lazily decoded, as the clip readers do) and
one action's masks as the *active* and *inactive* layers, with the same label values (store
object ids, so the same DAVIS colours), each object's flag, probability, reasons and who set
it, and every frame's state. Saving those layers again keeps each frame's state: frames a
person verified stay verified, model and pseudo-label frames stay what they were.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from napari.utils.notifications import show_warning

from actionvos.errors import ActionVOSError
from actionvos.io import open_clip
from actionvos.store import ActionRecord, FrameState, Source, Store
from actionvos.store.schema import DATABASE_FILE
from actionvos_napari.layers.convert import META, clip_layer_data, role_layers, split_active
from actionvos_napari.layers.model_output import check_layer_budget
from actionvos_napari.segment.objects_table import set_by_hand

Reader = Callable[[str | list[str]], list[tuple]]
Progress = Callable[[int, int, str], None]


def get_store_reader(path: str | list[str]) -> Reader | None:
    """A reader for a folder that holds an ActionVOS label store, else None."""
    if isinstance(path, list):
        if len(path) != 1:
            return None
        path = path[0]
    p = Path(path)
    return read_store if p.is_dir() and (p / DATABASE_FILE).is_file() else None


def _clip_layer(store: Store) -> tuple | None:
    """The recorded clip as a layer, or None (with a warning) when it cannot be shown."""
    recorded = store.meta.get("clip") or ""
    if not recorded:
        show_warning(f"{store.path} records no clip; showing its masks only")
        return None
    if not Path(recorded).exists():
        show_warning(
            f"the clip of {store.path} is missing ({recorded}); showing its masks only. Open "
            "the clip (File › Open) to see the frames under them"
        )
        return None
    try:
        clip = open_clip(recorded)
    except ActionVOSError as exc:
        show_warning(f"the clip of {store.path} cannot be read ({exc}); showing its masks only")
        return None
    if (len(clip), clip.height, clip.width) != tuple(store.shape):
        show_warning(
            f"{recorded} is {len(clip)} frames of {clip.width}x{clip.height} but the store "
            f"{store.path} is {store.shape[0]} of {store.shape[2]}x{store.shape[1]}; showing "
            "its masks only"
        )
        return None
    return clip_layer_data(clip)


def _action(store: Store) -> ActionRecord | None:
    """The action to show: the newest one (the last one a person worked on)."""
    actions = store.actions()
    return max(actions, key=lambda a: a.id) if actions else None


def _label_ids(known: dict[int, str], names: Sequence[str]) -> list[int | None]:
    """The store object behind each label value of layers named ``names``: the id itself where
    the names agree (layers read from the store), else the object of that name (layers of a
    run saved into a store that already numbered its objects otherwise), else None."""
    by_name = {name: oid for oid, name in known.items()}
    return [k if known.get(k) == name else by_name.get(name) for k, name in enumerate(names, 1)]


def _object_facts(
    store: Store,
    action: ActionRecord | None,
    n_labels: int,
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Names, flags and why, indexed by label value - 1 (label values are store ids, unless
    ``names`` says what the layers call each label value)."""
    known = {o.id: o.name for o in store.objects()}
    ids = list(range(1, n_labels + 1)) if names is None else _label_ids(known, names)
    records = store.activity(action.id) if action is not None else {}
    out_names, active, probs, reasons, sources, human = [], [], [], [], [], {}
    reviewed = []
    for index, oid in enumerate(ids):
        if names is not None:
            out_names.append(names[index])
        else:
            out_names.append(known.get(oid, f"object {oid}"))
        rec = records.get(oid) if oid is not None else None
        if rec is not None and (rec.reasons or {}).get("reviewed"):
            reviewed.append(index)
        active.append(bool(rec.active) if rec is not None and rec.active is not None else False)
        probs.append(rec.probability if rec is not None else None)
        sources.append(rec.source.value if rec is not None else "")
        if rec is None:
            reasons.append(["no flag saved"])
        elif rec.source is Source.HUMAN:
            reasons.append(set_by_hand(bool(rec.active)))
            human[str(index)] = bool(rec.active)
        else:
            reasons.append(list((rec.reasons or {}).get("reasons") or []))
    return {
        "object_names": out_names,
        "active": active,
        "probabilities": probs,
        "reasons": reasons,
        "sources": sources,
        "human": human,
        "reviewed": reviewed,
    }


#: What switching to another of the store's actions replaces in the mask layers' metadata.
ACTION_KEYS = ("active", "probabilities", "reasons", "sources", "human", "reviewed")


def _action_entry(
    store: Store, action: ActionRecord, n_labels: int, names: Sequence[str] | None = None
) -> dict[str, Any]:
    """One action of the store as the widget's action picker offers it: its narration and
    range, and its objects' flags (the masks are the clip's, shared by every action)."""
    facts = _object_facts(store, action, n_labels, names)
    return {
        "id": action.id,
        "narration": action.narration,
        "start": action.start_frame,
        "end": action.end_frame,
        **{k: facts[k] for k in ACTION_KEYS},
    }


def action_entries(store: Store, names: Sequence[str]) -> list[dict[str, Any]]:
    """Every action of the store as the picker offers it, for layers whose label value k is
    the object ``names[k - 1]`` (whether or not the store numbers that object k)."""
    return [_action_entry(store, a, len(names), names) for a in store.actions()]


def read_masks(store: Store, progress: Progress | None = None, chunk: int = 256) -> np.ndarray:
    """Every frame's label map, read ``chunk`` frames at a time so a long clip reports
    progress (``progress(done, total, message)``) instead of going quiet."""
    n = store.n_frames
    if progress is None:
        return store.read_frames(range(n))
    parts = []
    for first in range(0, n, chunk):
        parts.append(store.read_frames(range(first, min(first + chunk, n))))
        progress(min(first + chunk, n), n, f"reading the store's masks, frame {first}")
    return np.concatenate(parts) if parts else store.read_frames(range(0))


def mask_layer_data(
    store: Store,
    clip_name: str,
    action_id: int | None = None,
    progress: Progress | None = None,
) -> list[tuple]:
    """The two mask layers of one action as the store holds them, without the clip.

    ``action_id`` picks the action (the one on screen, after an undo); the newest one when it
    is None or no longer in the store. Used by the reader and by Store Undo / Redo, which
    write these into the layers already open.
    """
    n, h, w = store.shape
    check_layer_budget(n, h, w)
    masks = read_masks(store, progress)
    n_labels = max(int(masks.max(initial=0)), max((o.id for o in store.objects()), default=0))
    if n_labels < 256:
        masks = masks.astype(np.uint8)
    known = [a for a in store.actions() if a.id == action_id]
    action = known[0] if known else _action(store)
    facts = _object_facts(store, action, n_labels)
    actions = [_action_entry(store, a, n_labels) for a in store.actions()]
    states = [FrameState.UNLABELLED.value] * n
    for record in store.frame_records():
        states[record.frame] = record.state.value
    human_frames = [t for t, s in enumerate(states) if s == FrameState.HUMAN.value]
    extra = {
        **{k: v for k, v in facts.items() if k not in ("object_names", "active")},
        "narration": action.narration if action is not None else "",
        "source": "store",
        "store_path": str(store.path),
        "action_id": action.id if action is not None else None,
        "frame_states": states,
        "edited_frames": human_frames,
        "actions": actions,
    }
    act, inact = split_active(masks, facts["active"])
    return role_layers(act, inact, facts["object_names"], facts["active"], clip_name, extra)


def read_store(path: str | list[str]) -> list[tuple]:
    """The store's clip (when it can be shown) and its newest action's two mask layers."""
    path = Path(path[0] if isinstance(path, list) else path)
    with Store.open(path, read_only=True) as store:
        n, h, w = store.shape
        check_layer_budget(n, h, w)
        clip = _clip_layer(store)
        clip_name = clip[1]["name"] if clip is not None else store.video
        layers = mask_layer_data(store, clip_name)
    if clip is not None:
        narration = layers[0][1]["metadata"][META]["narration"]
        clip[1]["metadata"][META].update(narration=narration)
        layers.insert(0, clip)
    return layers
