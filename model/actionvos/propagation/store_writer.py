"""Writing a propagation into a label store: one undoable step, human work left alone."""

from __future__ import annotations

import numpy as np

from actionvos.propagation.propagate import PropagationResult
from actionvos.store import FrameState, Store


def paste_object(labels: np.ndarray, object_id: int, mask: np.ndarray) -> np.ndarray:
    """A copy of ``labels`` with object ``object_id`` replaced by ``mask``.

    The object's old pixels outside the mask become background; inside the mask the object
    is painted over whatever was there, as napari's label brush does.
    """
    out = np.array(labels, copy=True)
    out[(out == object_id) & ~mask] = 0
    out[mask] = object_id
    return out


def write_propagation(
    store: Store, result: PropagationResult, label: str | None = None
) -> list[int]:
    """Write every propagated frame as ``propagated``, in one correction (one undo).

    Frames that are human-verified in the store are skipped (the store refuses them too), so
    a propagation never replaces a person's work. Returns the frames that changed.
    """
    text = label or f"propagate object {result.object_id} from frame {result.frame}"
    changed = []
    with store.correction(text):
        for t in result.frames:
            if store.frame_state(t) is FrameState.HUMAN:
                continue
            labels = paste_object(store.read_frame(t), result.object_id, result.masks[t])
            if store.set_masks(t, labels, FrameState.PROPAGATED, record=True, label=text):
                changed.append(t)
    return changed
