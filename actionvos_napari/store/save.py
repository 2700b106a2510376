"""Save the active/inactive layers of one action into a label store.

Which frames a person painted decides their state: painted frames are *human-verified* and
go into the undo history; the rest keep the state of where the masks came from (model or
pseudo-label), and the store never lets those overwrite a frame a person verified. Active
flags a person ticked are saved as human decisions, the others with their model probability
or rule reasons.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from actionvos.errors import InputError, StoreError
from actionvos.store import FrameState, Source, Store
from actionvos.store.schema import DATABASE_FILE
from actionvos_napari.layers.convert import META, merge_roles

STATES = {"model": FrameState.MODEL, "pseudo-label": FrameState.PSEUDO}
SOURCES = {"model": Source.MODEL, "pseudo-label": Source.RULE}


def open_or_create(path: str | Path, shape: tuple[int, int, int], clip: str | None) -> Store:
    """Open the store at ``path``, or make it; a store of another clip size is refused."""
    path = Path(path)
    if (path / DATABASE_FILE).exists():
        store = Store.open(path)
        if tuple(store.shape) != tuple(shape):
            store.close(save=False)
            raise StoreError(
                f"the store {path} holds {store.shape[0]} frames of {store.shape[2]}x"
                f"{store.shape[1]}, but these layers are {shape[0]} frames of {shape[2]}x"
                f"{shape[1]}; choose another store path for this clip"
            )
        return store
    return Store.create(path, n_frames=shape[0], height=shape[1], width=shape[2], clip=clip)


def _action_id(
    store: Store,
    narration: str,
    n_frames: int,
    known: int | None = None,
    span: tuple[int, int] | None = None,
) -> int:
    """The action these layers belong to: the one they were reopened from, else the one of
    this narration and frame range (the run's range, else the whole clip), else a new one."""
    if known is not None and any(
        a.id == known and a.narration == narration for a in store.actions()
    ):
        return int(known)
    first, last = span if span is not None else (0, n_frames - 1)
    for action in store.actions():
        if action.narration == narration and (action.start_frame, action.end_frame) == (
            first,
            last,
        ):
            return action.id
    return store.add_action(narration, int(first), int(last))


def save_action(
    path: str | Path, active: np.ndarray, inactive: np.ndarray, meta: dict[str, Any]
) -> list[int]:
    """Write one action's two mask volumes and flags; returns the frames whose masks changed."""
    active, inactive = np.asarray(active), np.asarray(inactive)
    if active.shape != inactive.shape or active.ndim != 3:
        raise InputError(
            f"the active and inactive layers must be two (frames, height, width) volumes of one "
            f"size; got {active.shape} and {inactive.shape}"
        )
    names = list(meta["object_names"])
    narration = meta.get("narration") or ""
    if not narration:
        raise InputError("these layers have no narration; run the model or type the action")
    merged = merge_roles(active, inactive)
    edited = sorted({int(t) for t in meta.get("edited_frames", [])})
    source = meta.get("source", "")
    lut = {k + 1: name for k, name in enumerate(names)}
    changed: list[int] = []
    with open_or_create(path, merged.shape, meta.get("clip")) as store:
        span = tuple(meta["span"]) if meta.get("span") else None
        action_id = _action_id(store, narration, merged.shape[0], meta.get("action_id"), span)
        # one Save is one step of the store's history: Store undo takes back all it corrected
        with store.correction(f"save in napari: {narration}", action_id):
            if edited:
                changed += store.save_layers(
                    merged[edited], lut, frames=edited, action_id=action_id, save=False
                )
            for state, frames in _rest_by_state(merged, edited, source, meta).items():
                changed += store.save_layers(
                    merged[frames],
                    lut,
                    frames=frames,
                    state=state,
                    action_id=action_id,
                    save=False,
                )
            _save_flags(store, action_id, names, meta)
        if source == "model" and meta.get("checkpoint"):
            store.record_model(str(meta["checkpoint"]), details={"user": _user()})
    return sorted(changed)


def _rest_by_state(
    merged: np.ndarray, edited: list[int], source: str, meta: dict[str, Any]
) -> dict[FrameState, list[int]]:
    """The frames nobody painted, grouped by the state they are saved with.

    Layers reopened from a store carry each frame's state, so a model frame stays a model
    frame and an unlabelled empty frame stays unlabelled; other layers take their source's.
    """
    default = STATES.get(source, FrameState.HUMAN)
    recorded = meta.get("frame_states") or []
    out: dict[FrameState, list[int]] = {}
    for t in sorted(set(range(merged.shape[0])) - set(edited)):
        state = FrameState(recorded[t]) if t < len(recorded) else default
        if state is FrameState.UNLABELLED:
            if not merged[t].any():
                continue  # nothing there, and nobody said the frame is empty
            state = default
        out.setdefault(state, []).append(t)
    return out


def _save_flags(store: Store, action_id: int, names: list[str], meta: dict[str, Any]) -> None:
    human = {int(k): bool(v) for k, v in meta.get("human", {}).items()}
    probs = meta.get("probabilities") or [None] * len(names)
    reasons = meta.get("reasons") or [None] * len(names)
    source = SOURCES.get(meta.get("source", ""), Source.HUMAN)
    sources = meta.get("sources") or [None] * len(names)  # per object, from a reopened store
    reviewed = {int(k) for k in meta.get("reviewed", [])}
    for k, (name, flag) in enumerate(zip(names, meta["active"], strict=True)):
        oid = store.ensure_object(name)
        # "reviewed" rides beside the reasons, so Next to review goes on where it stopped
        seen = {"reviewed": True} if k in reviewed else {}
        if k in human:
            # the model's probability stays beside the person's decision
            store.set_activity(
                action_id,
                oid,
                human[k],
                source=Source.HUMAN,
                probability=probs[k],
                reasons=seen or None,
            )
        elif sources[k] == "":
            continue  # the store held no flag for this object; none was set since
        else:
            who = Source(sources[k]) if sources[k] else source
            why = {**({"reasons": reasons[k]} if reasons[k] else {}), **seen}
            store.set_activity(
                action_id, oid, bool(flag), source=who, probability=probs[k], reasons=why or None
            )


def _user() -> str:
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER", "unknown")


def role_pair(layers: list[tuple[Any, dict, str]]) -> tuple[Any, Any, dict]:
    """Find the active and inactive volumes among napari LayerData tuples."""
    found: dict[str, tuple[Any, dict]] = {}
    for data, attrs, _ in layers:
        meta = attrs.get("metadata", {}).get(META, {})
        if meta.get("kind") == "masks" and meta.get("role") in ("active", "inactive"):
            found[meta["role"]] = (data, meta)
    if set(found) != {"active", "inactive"}:
        raise InputError(
            "select the two ActionVOS mask layers of one action (<clip> active and "
            "<clip> inactive) to save them to a label store"
        )
    meta = dict(found["inactive"][1])
    meta.update(found["active"][1])  # the active layer's flags and edits are authoritative
    meta["edited_frames"] = sorted(
        set(found["active"][1].get("edited_frames", []))
        | set(found["inactive"][1].get("edited_frames", []))
    )
    return found["active"][0], found["inactive"][0], meta
