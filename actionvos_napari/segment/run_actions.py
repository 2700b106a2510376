"""What a finished run and a change of θ do to the two mask layers.

Functions over the widget's public parts (``pair``, ``rows``, ``session``, ``publish``,
``as_step``, ``follow_masks``, ``viewer``, ``action_box``, ``status``), as
:mod:`actionvos_napari.review.actions` is; the run itself is
:func:`actionvos_napari.segment.job.run_segment`,
Qt-free, in a worker. Both keep a person's work: painted or verified frames, flags set by
hand and (for θ) propagated masks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from actionvos_napari.layers.convert import META, role_layers
from actionvos_napari.layers.mask_pair import MaskPair
from actionvos_napari.layers.model_output import human_work, keep_human_edits, mask_volumes
from actionvos_napari.layers.probability import show_probabilities
from actionvos_napari.propagate.job import keep_propagated
from actionvos_napari.segment.job import SegmentOutcome, explain, place
from actionvos_napari.segment.objects_table import ObjectRows, set_by_hand


def base_volumes(
    pair: MaskPair | None, request: Any, shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray] | None:
    """For a run on part of the clip: copies of the layers it leaves in place (the same
    objects, the same size), so frames outside the run keep their masks."""
    if request.span is None or pair is None or tuple(pair.active.data.shape) != shape:
        return None
    if list(pair.active.metadata[META].get("object_names", [])) != list(request.objects):
        return None
    return np.array(pair.active.data, copy=True), np.array(pair.inactive.data, copy=True)


def kept_work(pair: MaskPair | None, outcome: SegmentOutcome) -> dict[str, Any]:
    """Carry a person's work into a new run's output, in place; the metadata that says so.

    A re-run (after fine-tuning, or with another model) replaces model output only: frames
    a person painted or verified keep their masks, and flags set by hand stay. That needs
    the same objects in the same order (label k is object k on both sides); otherwise the
    human work stays in the store and is not shown over the new output.
    """
    if pair is None or pair.active.data.shape != outcome.active.shape:
        return {}
    meta_a, meta_i = pair.active.metadata[META], pair.inactive.metadata[META]
    if list(meta_a.get("object_names", [])) != list(outcome.result.objects):
        return {}
    frames, human = human_work(meta_a, meta_i)
    if not frames and not human:
        return {}
    previous = (np.asarray(pair.active.data), np.asarray(pair.inactive.data))
    keep_human_edits(outcome.active, outcome.inactive, previous, frames, human)
    for index, flag in human.items():
        outcome.gate[index] = flag
        outcome.reasons[index] = set_by_hand(flag)
    kept: dict[str, Any] = {
        "edited_frames": frames,
        "human": {str(k): v for k, v in human.items()},
    }
    if meta_a.get("narration") == outcome.request.narration:
        for key in ("action_id", "store_path", "reviewed"):
            if meta_a.get(key) is not None:
                kept[key] = meta_a[key]
    return kept


def finished(widget: Any, outcome: SegmentOutcome, clip_name: str) -> None:
    """Show a run's output in the two layers (one Ctrl-Z when they exist), and its rows."""
    req = outcome.request
    names = list(outcome.result.objects)
    kept = kept_work(widget.pair, outcome)
    reviewed = set(kept.get("reviewed", []))
    rows = ObjectRows(names, list(outcome.probs), list(outcome.gate), outcome.reasons, reviewed)
    extra = {
        "narration": req.narration,
        "source": "model",
        "checkpoint": req.model,
        "threshold": req.threshold,
        "probabilities": outcome.probs,
        "reasons": outcome.reasons,
        "span": list(req.span) if req.span is not None else None,  # a new action's range
        **kept,
    }
    tuples = role_layers(outcome.active, outcome.inactive, names, outcome.gate, clip_name, extra)
    pair = widget.pair
    same = (
        pair is not None
        and pair.active.name == tuples[0][1]["name"]
        and pair.inactive.name == tuples[1][1]["name"]
        and pair.active.data.shape == outcome.active.shape
    )
    if same:
        n_before = len(pair.active.metadata[META].get("object_names", []))

        def write() -> None:
            for layer, (_, kwargs, _) in zip((pair.active, pair.inactive), tuples, strict=True):
                if len(names) != n_before:  # new objects get their colours (20 ms a layer)
                    layer.colormap = kwargs["colormap"]
                layer.metadata[META] = kwargs["metadata"][META]
            pair.replace(outcome.active, outcome.inactive)
            widget.session.outcome = outcome
            widget.publish(rows)

        widget.as_step(write)
    else:
        for data, kwargs, _ in tuples:
            name = kwargs.pop("name")
            if name in widget.viewer.layers:  # a clip of another size: history starts anew
                layer = widget.viewer.layers[name]
                layer.data = data
                layer.metadata = kwargs["metadata"]
                layer.colormap = kwargs["colormap"]
            else:
                widget.viewer.add_labels(data, name=name, **kwargs)
        widget.session.outcome = outcome
        widget.follow_masks()
        widget.publish(rows)
    n_active = sum(outcome.gate)
    note = ""
    if kept.get("edited_frames") or kept.get("human"):
        note = (
            f"; kept your work: {len(kept.get('edited_frames', []))} frames, "
            f"{len(kept.get('human', {}))} flags"
        )
    model = Path(req.model).name
    widget.action_box.ran_on.value = outcome.ran_on
    widget.status.setText(
        f"done with {model} on {outcome.ran_on}: {n_active} of {len(outcome.gate)} "
        f"objects active{note}"
    )
    if widget.action_box.probability_layer.value:
        show_probabilities(widget.viewer, outcome, clip_name, outcome.active.shape[0])


def regate(widget: Any, threshold: float) -> None:
    """Apply a new θ to the last run without running the network again.

    A person's ticks, painted frames and propagations survive the change; the whole change
    is one Ctrl-Z.
    """
    outcome, pair = widget.session.outcome, widget.pair
    if outcome is None or pair is None:
        return
    meta = pair.active.metadata[META]
    edited, human = human_work(meta, pair.inactive.metadata[META])
    result = outcome.result
    active, inactive = mask_volumes(result, threshold)
    previous = (np.asarray(pair.active.data), np.asarray(pair.inactive.data))
    if outcome.frames != range(previous[0].shape[0]):  # a run on part of the clip
        active, inactive = place((active, inactive), outcome.start, previous, len(previous[0]))
    keep_propagated(active, inactive, previous, meta.get("propagated_confidence") or {})
    keep_human_edits(active, inactive, previous, edited, human)
    probs, gate, reasons = explain(result, active, inactive, outcome.request.narration, threshold)
    for index, flag in human.items():
        gate[index] = flag
        reasons[index] = set_by_hand(flag)
    reviewed = widget.rows.reviewed if widget.rows is not None else set()

    def write() -> None:
        pair.replace(active, inactive)
        for layer in (pair.active, pair.inactive):
            layer.metadata[META]["threshold"] = threshold
            layer.metadata[META]["probabilities"] = probs
        widget.publish(ObjectRows(list(result.objects), probs, gate, reasons, set(reviewed)))

    widget.as_step(write)
