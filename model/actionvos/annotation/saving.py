"""Keeping a finished (simulated) annotation in a label store, as the widget would save it.

The frames keep their states (human-verified where the annotator painted, propagated, model
output); the flags become human decisions. A store written this way is what fine-tuning on
corrections reads, so the loop's second round trains on exactly what the first produced.
"""

from __future__ import annotations

from pathlib import Path

from actionvos.annotation.simulator import ClipTask
from actionvos.annotation.start import AnnotationState
from actionvos.store import FrameState, Source, Store


def save_annotation(
    path: str | Path, task: ClipTask, state: AnnotationState, clip: str | Path | None = None
) -> Path:
    """Create a store at ``path`` holding ``state`` for ``task``'s clip; returns the path.

    ``clip`` is the video or frame folder the store labels (fine-tuning reads the frames
    from it). Unlabelled frames stay unlabelled.
    """
    n_frames, height, width = task.truth.shape
    with Store.create(path, n_frames=n_frames, height=height, width=width, clip=clip) as store:
        ids = [
            store.add_object(name, None if task.class_ids is None else task.class_ids[k])
            for k, name in enumerate(task.object_names)
        ]
        action = store.add_action(task.narration, 0, n_frames - 1)
        lut = {k + 1: oid for k, oid in enumerate(ids)}
        for t, frame_state in enumerate(state.states):
            if frame_state is FrameState.UNLABELLED:
                continue
            labels = state.labels[t].copy()
            for value, oid in lut.items():
                labels[state.labels[t] == value] = oid
            store.set_masks(t, labels, frame_state, record=False)
        for k, oid in enumerate(ids):
            store.set_activity(action, oid, bool(state.active[k]), source=Source.HUMAN)
    return Path(path)
