"""Writing the widget's changes into the two mask layers through napari's history.

Every change the widget makes to masks (a toggle, a re-gate, a new run's output) goes through
``Labels.data_setitem`` inside one :meth:`LinkedHistory.step`, so it is one Ctrl-Z, and its
paint events are not mistaken for a person's corrections.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from actionvos_napari.layers.linked_undo import LinkedHistory, StateCallback


def set_volume(layer: Any, new: np.ndarray) -> None:
    """Make ``layer.data`` equal ``new`` by writing only the pixels that differ."""
    where = np.nonzero(np.asarray(layer.data) != new)
    if where[0].size:
        layer.data_setitem(where, new[where])


class MaskPair:
    """The *active* and *inactive* Labels layers of one action, edited as a pair."""

    def __init__(self, active: Any, inactive: Any, history: LinkedHistory) -> None:
        self.active, self.inactive = active, inactive
        self.history = history
        history.watch(active)
        history.watch(inactive)

    def step(
        self,
        write: Callable[[], None],
        undo_state: StateCallback,
        redo_state: StateCallback,
    ) -> None:
        """Run ``write`` (pixels through :meth:`move_object` / :meth:`replace`) as one step."""
        with self.history.step([self.active, self.inactive], undo_state, redo_state):
            write()

    def move_object(self, label: int, make_active: bool) -> None:
        """Move every pixel of object ``label`` into the active (or inactive) layer."""
        src, dst = (self.inactive, self.active) if make_active else (self.active, self.inactive)
        where = np.nonzero(np.asarray(src.data) == label)
        if where[0].size:
            dst.data_setitem(where, label)
            src.data_setitem(where, 0)

    def replace(self, active: np.ndarray, inactive: np.ndarray) -> None:
        """Show new volumes (re-gated or re-run), writing only what differs."""
        set_volume(self.active, active)
        set_volume(self.inactive, inactive)
