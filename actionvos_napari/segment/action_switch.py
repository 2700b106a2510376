"""Switching between the actions a reopened label store holds.

Every action of a store shares the clip's masks; what differs is its narration, its range
and each object's flag. Switching re-splits the masks into the two layers by the chosen
action's flags, as one undoable step over the widget's public parts.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import numpy as np
from qtpy.QtCore import QTimer

from actionvos.errors import InputError
from actionvos_napari.layers.convert import META, merge_roles, split_active
from actionvos_napari.segment.objects_table import ObjectRows
from actionvos_napari.store_reader import ACTION_KEYS


def show_store_actions(widget: Any) -> None:
    """Offer the reopened store's actions in the picker, the shown one selected; its
    frames become the range *Run on › frame range* offers."""
    meta = widget.pair.active.metadata[META] if widget.pair is not None else {}
    actions = meta.get("actions") or []
    widget.action_box.offer_actions(actions, meta.get("action_id"))
    shown = next((a for a in actions if a["id"] == meta.get("action_id")), None)
    if shown is not None:
        widget.action_box.set_range(shown["start"], shown["end"])


def switch_action(widget: Any, action_id: int | None) -> None:
    """Show another of the store's actions: its narration and flags over the same masks.

    The masks are the clip's (every action shares them); each object moves to the layer
    its flag in that action says. One Ctrl-Z switches back.
    """
    pair = widget.pair
    meta = pair.active.metadata[META] if pair is not None else {}
    entry = next((a for a in meta.get("actions") or [] if a["id"] == action_id), None)
    if pair is None or entry is None or meta.get("action_id") == action_id:
        return
    if widget.session.unsaved:
        # the picker goes back to the action on screen, once its own change has settled
        QTimer.singleShot(0, partial(show_store_actions, widget))
        widget.report(
            InputError(
                "Save first: the flags and masks of this action hold edits that are not "
                "saved, and switching actions would leave them behind"
            )
        )
        return
    names = list(meta["object_names"])
    merged = merge_roles(np.asarray(pair.active.data), np.asarray(pair.inactive.data))
    active, inactive = split_active(merged, entry["active"])
    rows = ObjectRows(
        names,
        list(entry["probabilities"]),
        list(entry["active"]),
        [list(r) for r in entry["reasons"]],
        set(entry["reviewed"]),
    )

    # the action on screen is saved: keep its flags as they are now for a switch back
    n = len(meta["object_names"])
    current = {
        "active": list(meta["active"]),
        "probabilities": list(meta.get("probabilities") or [None] * n),
        "reasons": copy.deepcopy(meta.get("reasons") or [[] for _ in range(n)]),
        "sources": list(meta.get("sources") or [None] * n),
        "human": dict(meta.get("human") or {}),
        "reviewed": sorted(widget.rows.reviewed) if widget.rows is not None else [],
    }
    actions = [{**a, **current} if a["id"] == meta.get("action_id") else a for a in meta["actions"]]

    def write() -> None:
        pair.replace(active.astype(merged.dtype), inactive.astype(merged.dtype))
        for layer in (pair.active, pair.inactive):
            layer.metadata[META].update(
                {k: copy.deepcopy(entry[k]) for k in ACTION_KEYS},
                narration=entry["narration"],
                action_id=entry["id"],
                actions=copy.deepcopy(actions),
            )
        widget.session.outcome = None  # a run's probabilities belong to its own action
        widget.publish(rows)

    widget.as_step(write)
    widget.action_box.narration.value = entry["narration"]
    widget.action_box.set_range(entry["start"], entry["end"])
    widget.status.setText(
        f"action {entry['id']}: {entry['narration']} (frames {entry['start']}–"
        f"{entry['end']}), {sum(entry['active'])} of {len(names)} objects active"
    )
