"""What the review controls do: select an object, step frames, toggle, pick the next one and
show its least confident frame.

Functions over the widget's public parts (``pair``, ``rows``, ``publish``, ``table``,
``status``, ``viewer``), so the widget module stays an arrangement of sections.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from actionvos.propagation.confidence import least_confident
from actionvos_napari.layers.convert import META
from actionvos_napari.layers.linked_undo import same_layer
from actionvos_napari.review.order import next_to_review as pick_next


def select_object(widget: Any, index: int, frame: int | None = None) -> bool:
    """Select object ``index``'s label in the layer that holds it; show ``frame``, by default
    the object's first frame. Returns whether the object has a mask on any frame."""
    pair, rows = widget.pair, widget.rows
    if pair is None or rows is None:
        return False
    k = index + 1
    frames = {id(layer): frames_with(layer, k) for layer in (pair.active, pair.inactive)}
    on = [lyr for lyr in (pair.active, pair.inactive) if frames[id(lyr)].size]
    layer = on[0] if on else pair.active
    for lyr in (pair.active, pair.inactive):
        lyr.selected_label = k
    widget.viewer.layers.selection.active = layer
    if frame is not None:
        widget.viewer.dims.set_current_step(0, int(frame))
        widget.status.setText(f"{rows.names[index]}: frame {frame}")
    elif on:
        first = int(min(frames[id(lyr)][0] for lyr in on))
        widget.viewer.dims.set_current_step(0, first)
        widget.status.setText(f"{rows.names[index]}: first seen on frame {first}")
    else:
        widget.status.setText(f"{rows.names[index]} has no pixels in any frame")
    return bool(on)


def step_frame(viewer: Any, delta: int) -> None:
    """Move the frame slider by ``delta``, staying inside the clip."""
    n = int(viewer.dims.nsteps[0])
    frame = int(viewer.dims.current_step[0]) + delta
    viewer.dims.set_current_step(0, min(max(frame, 0), n - 1))


def toggle_selected(widget: Any) -> None:
    """Flip active/inactive for the label selected in the selected mask layer."""
    layer = widget.viewer.layers.selection.active
    pair, rows = widget.pair, widget.rows
    mine = pair is not None and any(same_layer(layer, lyr) for lyr in (pair.active, pair.inactive))
    if rows is None or not mine:
        widget.status.setText("select an ActionVOS mask layer and a label to toggle it")
        return
    index = int(layer.selected_label) - 1
    if not 0 <= index < len(rows.names):
        widget.status.setText(f"label {layer.selected_label} is not one of the objects")
        return
    widget.table.check(index, not rows.active[index])


def next_to_review(widget: Any) -> int | None:
    """Select the next object to review and record it as reviewed; returns its index."""
    if widget.rows is None:
        return None
    index = pick_next(widget.rows, float(widget.action_box.threshold.value))
    if index is None:
        widget.status.setText("every object has been reviewed")
        return None
    widget.rows.reviewed.add(index)
    if widget.pair is not None:
        for layer in (widget.pair.active, widget.pair.inactive):
            layer.metadata[META]["reviewed"] = sorted(widget.rows.reviewed)
    widget.publish(widget.rows)
    widget.table.selectRow(widget.table.row_of(index))
    drawn = widget.select_object(index)
    show_least_confident(widget, index, drawn)
    return index


def show_least_confident(widget: Any, index: int, drawn: bool) -> None:
    """Move to object ``index``'s least confident frame that no person verified yet;
    ``drawn``: whether the object has a mask on any frame (``select_object`` found out)."""
    got = widget.confidence()
    if got is None:
        return  # no masks to score: the object's first frame stays
    conf, human = got
    name = widget.rows.names[index]
    pick = least_confident(conf, skip_frames=sorted(human), objects=[index])
    if pick is None:
        widget.status.setText(f"{name}: every frame is human-verified")
        return
    frame = pick[0]
    widget.viewer.dims.set_current_step(0, frame)
    widget.status.setText(confidence_message(name, frame, float(conf[frame, index]), drawn))


#: At or above this, no frame of the object gives a reason to look (the strip shows full).
SURE = 0.995


def confidence_message(name: str, frame: int, confidence: float, drawn: bool) -> str:
    """What Next to review says about the frame it moved to. An object with no mask anywhere
    is scored on how sure the model is that it is absent, so say that rather than call a
    frame of blank masks "confidence 1.00"."""
    if not drawn:
        if confidence >= SURE:
            return f"{name} has no mask on any frame, and nothing suggests it is there"
        return (
            f"{name} has no mask on any frame; frame {frame} is where it most likely appears "
            f"(confidence {confidence:.2f} that it is absent)"
        )
    if confidence >= SURE:
        return (
            f"{name}: no frame looks doubtful (lowest confidence {confidence:.2f}, frame {frame})"
        )
    return f"{name}: its least confident frame, {frame} (confidence {confidence:.2f})"


def frames_with(layer: Any, label: int) -> np.ndarray:
    """The frames of a mask layer on which ``label`` has pixels."""
    data = np.asarray(layer.data)
    return np.flatnonzero((data == label).reshape(data.shape[0], -1).any(axis=1))
