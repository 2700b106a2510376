"""Which frames a napari Labels edit touched, read from the edit itself.

napari's ``Labels.events.paint`` carries the history item it just recorded: a list of atoms,
each either a brush/fill/polygon edit (a bounding-box ``slice_key`` and a ``mask`` over it,
``mask`` None when the whole box changed) or a ``data_setitem`` edit (a numpy multi-index,
old values, new values). Axis 0 of the mask layers is the frame, so a stroke painted with
``n_edit_dimensions`` 3 reports every frame it reached, not just the one on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def _atom_frames(atom: Any) -> Iterable[int]:
    slice_key = getattr(atom, "slice_key", None)
    if slice_key is not None:
        frames = slice_key[0]
        mask = getattr(atom, "mask", None)
        if mask is None:
            return range(int(frames.start), int(frames.stop))
        mask = np.asarray(mask)
        hit = mask.reshape(mask.shape[0], -1).any(axis=1)
        return (int(frames.start) + np.flatnonzero(hit)).tolist()
    indices = atom[0]
    return np.unique(np.asarray(indices[0])).tolist()


def frames_of_paint(item: Iterable[Any]) -> set[int]:
    """The frame indices changed by one Labels history item (the ``paint`` event's value)."""
    frames: set[int] = set()
    for atom in item:
        frames.update(int(t) for t in _atom_frames(atom))
    return frames
