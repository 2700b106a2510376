"""Writing a propagation into a label store: one undoable step, human work left alone."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np

from actionvos.errors import InputError
from actionvos.propagation.flow import FlowCache
from actionvos.propagation.propagate import (
    Progress,
    PropagationRequest,
    PropagationResult,
    propagate,
)
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
    for t in result.frames:
        if result.masks[t].shape != (store.height, store.width):
            raise InputError(
                f"the propagated mask of frame {t} is {result.masks[t].shape}, but the store "
                f"holds {store.height}x{store.width} frames; propagate on the clip's own "
                "frames (the store's size)"
            )
    changed = []
    with store.correction(text):
        for t in result.frames:
            if store.frame_state(t) is FrameState.HUMAN:
                continue
            labels = paste_object(store.read_frame(t), result.object_id, result.masks[t])
            if store.set_masks(t, labels, FrameState.PROPAGATED, record=True, label=text):
                changed.append(t)
    return changed


def propagate_in_store(
    store: Store,
    flows: FlowCache,
    settings: PropagationRequest,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> tuple[PropagationResult, list[int]]:
    """The widget's **Propagate**: carry object ``settings.object_id`` from frame
    ``settings.frame`` as the store holds it, stopping at the store's human-verified frames,
    and write the result as one undoable step. ``settings.mask`` and ``stop_frames`` are
    replaced by the store's; the other fields (limits, model blend) are used as given.

    Returns the propagation and the frames written. Cancelling writes nothing.
    """
    mask = store.read_frame(settings.frame) == settings.object_id
    human = frozenset(store.labelled_frames([FrameState.HUMAN])) - {settings.frame}
    request = replace(settings, mask=mask, stop_frames=human | settings.stop_frames)
    result = propagate(request, flows, progress, cancel)
    return result, write_propagation(store, result)
