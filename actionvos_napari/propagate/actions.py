"""What the Propagate button and the confidence strip do, over the widget's public parts.

The work is Qt-free (:mod:`actionvos_napari.propagate.job`, over :mod:`actionvos.propagation`):
these functions gather its inputs on the UI thread, start it through the widget's ``jobs``,
and write its result into the two mask layers as one undoable step.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from actionvos.errors import ActionVOSError
from actionvos.store import FrameState
from actionvos_napari.layers.convert import META, merge_roles
from actionvos_napari.layers.linked_undo import same_layer
from actionvos_napari.layers.mask_pair import MaskPair
from actionvos_napari.propagate.job import (
    describe,
    frame_states,
    human_frames,
    paste_into_layers,
    propagate_object,
    recorded_states,
    strip_confidence,
)
from actionvos_napari.review.confidence_strip import Job


def selected_index(widget: Any) -> int | None:
    """The label selected in the selected mask layer, else the table's selected object."""
    pair, rows = widget.pair, widget.rows
    if pair is None or rows is None:
        return None
    layer = widget.viewer.layers.selection.active
    if any(same_layer(layer, lyr) for lyr in (pair.active, pair.inactive)):
        index = int(layer.selected_label) - 1
        if 0 <= index < len(rows.names):
            return index
    row = widget.table.currentRow()
    return widget.table.index_at(row) if row >= 0 else None


def model_probabilities(widget: Any, shape: tuple[int, ...]) -> Any:
    """The last run's ``probabilities(t)`` when it is of these objects and this size."""
    outcome, rows = widget.session.outcome, widget.rows
    if outcome is None or rows is None:
        return None
    result = outcome.result
    fits = (
        list(result.objects) == list(rows.names)
        and result.num_frames == shape[0]
        and tuple(result.frame_size) == tuple(shape[1:])
    )
    return result.probabilities if fits else None


def propagate(widget: Any) -> Any:
    """Propagate the selected label from the current frame in a worker; returns it."""
    pair, rows, clip = widget.pair, widget.rows, widget.clip_layer()
    try:
        widget.jobs.check_idle()
        if pair is None or rows is None or clip is None:
            raise ActionVOSError("open a clip and its ActionVOS mask layers first")
        index = selected_index(widget)
        if index is None:
            raise ActionVOSError("select a label in a mask layer (or an object in the table)")
        frame = int(widget.viewer.dims.current_step[0])
        labels = merge_roles(np.asarray(pair.active.data), np.asarray(pair.inactive.data))
        meta = (pair.active.metadata[META], pair.inactive.metadata[META])
        human = human_frames(frame_states(*meta, labels.shape[0]))
        flows = widget.session.flow_cache(clip.data)
    except ActionVOSError as exc:
        widget.report(exc)
        return None
    name = rows.names[index]
    return widget.jobs.start(
        "ActionVOS propagate",
        f"propagating {name} from frame {frame}…",
        propagate_object,
        clip.data,
        labels,
        index,
        frame,
        human,
        flows,
        model_probabilities(widget, labels.shape),
        name=name,
        returned=lambda result: propagated(widget, result, index, pair),
        finished=widget.propagate_done.emit,
    )


def propagated(widget: Any, result: Any, index: int, pair: MaskPair) -> None:
    """Write a propagation into the layer holding the object, as one Ctrl-Z."""
    if pair is not widget.pair or widget.rows is None:
        widget.status.setText("the mask layers changed while propagating; nothing was written")
        return
    a_meta, i_meta = pair.active.metadata[META], pair.inactive.metadata[META]
    n_frames = pair.active.data.shape[0]
    human = human_frames(frame_states(a_meta, i_meta, n_frames))  # a stroke meanwhile
    active, inactive, written = paste_into_layers(
        np.asarray(pair.active.data),
        np.asarray(pair.inactive.data),
        result,
        widget.rows.active[index],
        skip=human,
    )
    states = recorded_states(a_meta, i_meta, n_frames)
    trust = copy.deepcopy(a_meta.get("propagated_confidence") or {})
    for t in written:
        states[t] = FrameState.PROPAGATED.value
        trust.setdefault(str(t), {})[str(index)] = float(result.confidence[t])

    def write() -> None:
        pair.replace(active, inactive)
        for layer in (pair.active, pair.inactive):
            layer.metadata[META]["frame_states"] = list(states)
            layer.metadata[META]["propagated_confidence"] = copy.deepcopy(trust)

    if written:
        widget.as_step(write)
        widget.session.edited()
    widget.status.setText(describe(result, widget.rows.names[index], written))


def confidence_job(widget: Any) -> Job | None:
    """The strip's computation and copies of what it reads (called on the UI thread)."""
    pair, rows = widget.pair, widget.rows
    if pair is None or rows is None or pair.active.data.shape != pair.inactive.data.shape:
        return None
    active, inactive = np.array(pair.active.data), np.array(pair.inactive.data)
    a_meta, i_meta = pair.active.metadata[META], pair.inactive.metadata[META]
    args = (
        active,
        inactive,
        len(rows.names),
        frame_states(a_meta, i_meta, active.shape[0]),
        copy.deepcopy(a_meta.get("propagated_confidence") or {}),
        model_probabilities(widget, active.shape),
    )
    return strip_confidence, args, list(rows.names)


def confidence(widget: Any) -> tuple[np.ndarray, frozenset[int]] | None:
    """The strip's ``[T, N]`` confidence (computed now if it is not current) and the
    human-verified frames; None without mask layers."""
    pair, rows = widget.pair, widget.rows
    if pair is None or rows is None:
        return None
    conf = widget.strip.values
    n_frames = pair.active.data.shape[0]
    if (
        not widget.confidence_feed.fresh
        or conf is None
        or conf.shape != (n_frames, len(rows.names))
    ):
        conf = widget.confidence_feed.compute_now()
    if conf is None:
        return None
    meta = (pair.active.metadata[META], pair.inactive.metadata[META])
    return conf, human_frames(frame_states(*meta, n_frames))


def strip_picked(widget: Any, index: int, frame: int) -> None:
    """A click on the strip: select that object and show that frame."""
    if widget.rows is None or not 0 <= index < len(widget.rows.names):
        return
    widget.table.selectRow(widget.table.row_of(index))
    widget.select_object(index, frame)


def frame_shown(widget: Any, event: Any = None) -> None:
    widget.strip.set_frame(int(widget.viewer.dims.current_step[0]))
