"""Action-aware pseudo-labels for the store's actions, and the flags an export should use.

The rules themselves live in ``actionvos.labeling``; this module feeds them the store's
frames, objects and hand-object boxes, and decides precedence: a human's flag beats a stored
pseudo-label, which beats a freshly computed one; a model's guess counts only when asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from actionvos.labeling import ObjectLabel, label_objects
from actionvos.store.records import HandBox
from actionvos.store.schema import FrameState, Source
from actionvos.store.store import Store

HOS_OBJECT = 2
MODEL_THRESHOLD = 0.75  # the ActionVOS gate on the positive head


@dataclass(frozen=True)
class ActionObjects:
    """One action's labelled frames, its objects sorted by name, and masks numbered 1..K."""

    action_id: int
    frames: list[int]
    object_ids: list[int]  # object_ids[k - 1] is the store id of sequence object k
    names: list[str]
    masks: np.ndarray  # (T, H, W) uint8/uint16 with values 0..K


def action_frames(
    store: Store, action_id: int, states: Iterable[FrameState] | None = None
) -> list[int]:
    action = store.action(action_id)
    return [f for f in store.labelled_frames(states) if action.start_frame <= f <= action.end_frame]


def action_objects(
    store: Store,
    action_id: int,
    states: Iterable[FrameState] | None = None,
    also: Iterable[int] = (),
) -> ActionObjects:
    """Masks of the action's labelled frames renumbered as ActionVOS does (sorted names).

    The objects are those the frames show, plus ``also`` (store ids) where no frame shows
    them: fine-tuning passes the objects the action has flags for, so an inactive object
    the model left empty still trains as a negative (an empty mask, as upstream's negatives).
    """
    frames = action_frames(store, action_id, states)
    present = set(store.objects_in_frames(frames)) | (set(also) if frames else set())
    objects = sorted((store.object(i) for i in present), key=lambda o: o.name)
    lut = np.zeros(max(present, default=0) + 1, dtype=np.uint16)
    for k, obj in enumerate(objects, start=1):
        lut[obj.id] = k
    masks = store.read_frames(frames)
    return ActionObjects(
        action_id=action_id,
        frames=frames,
        object_ids=[o.id for o in objects],
        names=[o.name for o in objects],
        masks=lut[masks] if frames else masks,
    )


def hos_for_frames(
    store: Store, frames: list[int]
) -> tuple[list[list[tuple[float, ...]] | None], bool]:
    """Per-frame category-2 boxes as (x0, y0, x1, y1), None where the frame has none."""
    with_boxes = set(store.hand_box_frames())
    out: list[list[tuple[float, ...]] | None] = []
    for f in frames:
        boxes: list[HandBox] = store.hand_boxes(f) if f in with_boxes else []
        xyxy = [(b.x, b.y, b.x + b.w, b.y + b.h) for b in boxes if b.category == HOS_OBJECT]
        out.append(xyxy or None)
    return out, any(b is not None for b in out)


def compute_labels(store: Store, seq: ActionObjects) -> list[ObjectLabel]:
    """The official rule flags for each sequence object (``labels[k - 1]`` is object k)."""
    action = store.action(seq.action_id)
    boxes, _ = hos_for_frames(store, seq.frames)
    class_ids = [store.object(i).class_id for i in seq.object_ids]
    return label_objects(
        seq.masks,
        seq.names,
        action.narration,
        class_ids=class_ids,
        action_noun_classes=list(action.all_noun_classes) or None,
        hand_object_boxes=boxes,
        # The contact rule is only for clips with no hand-object annotation at all.
        clip_has_hand_objects=bool(store.hand_box_frames()),
    )


def apply_pseudo_labels(
    store: Store, action_id: int, states: Iterable[FrameState] | None = None
) -> dict[int, ObjectLabel]:
    """Compute and store rule flags (source RULE) for one action; humans' flags are kept."""
    seq = action_objects(store, action_id, states)
    if not seq.frames:
        return {}
    labels = compute_labels(store, seq)
    with store.atomic():
        for oid, lab in zip(seq.object_ids, labels, strict=True):
            reasons = {
                "handbox": int(lab.handbox),
                "narration": int(lab.narration),
                "reasons": list(lab.reasons),
            }
            store.set_activity(action_id, oid, lab.positive, source=Source.RULE, reasons=reasons)
    return dict(zip(seq.object_ids, labels, strict=True))


@dataclass(frozen=True)
class FinalFlags:
    """The flags an export writes for one object of one action, and where they came from."""

    handbox: bool
    narration: bool
    positive: bool
    source: str  # "human", "rule", "model" or "computed"


def final_flags(
    store: Store,
    seq: ActionObjects,
    computed: list[ObjectLabel] | None = None,
    *,
    use_model: bool = False,
) -> list[FinalFlags]:
    """Per sequence object: human > stored rule > (model, if asked) > computed now."""
    stored = store.activity(seq.action_id)
    if computed is None and seq.object_ids:
        computed = compute_labels(store, seq)
    out = []
    for k, oid in enumerate(seq.object_ids):
        comp = computed[k]
        row = stored.get(oid)
        reasons = row.reasons if row is not None else {}
        handbox = bool(reasons.get("handbox", comp.handbox))
        narration = bool(reasons.get("narration", comp.narration))
        positive, source = bool(comp.positive), "computed"
        if row is not None and row.active is not None:
            if row.source is Source.HUMAN or row.source is Source.RULE:
                positive, source = bool(row.active), row.source.value
            elif use_model:
                positive, source = bool(row.active), "model"
        elif row is not None and use_model and row.probability is not None:
            positive, source = row.probability >= MODEL_THRESHOLD, "model"
        out.append(FinalFlags(handbox, narration, positive, source))
    return out
