"""Action-aware labels for every object of one action, with the reasons behind them.

Official rules (ActionVOS ``data_prepare_visor.py``), over all annotated frames of the action:

* ``handbox``: the object is a hand (``left hand`` / ``right hand``), or its mask shares a pixel
  with a hand-object box in some frame;
* ``narration``: its EPIC noun class id is among the action's ``all_noun_classes`` (free text
  is read through the EPIC vocabulary when the ids are not known, see ``narration.py``);
* ``positive`` = ``handbox`` or ``narration``.

A clip without any hand-object annotation but with hand masks gets the *contact* rule instead
of the box rule: an object within ``contact_px`` pixels of a hand in some frame is positive.
This is not in the paper; it lets the app label new clips from the masks alone, and it is
reported as its own reason so nobody mistakes it for the official label. It is decided per
*clip*: an action whose frames carry no boxes in a clip that has boxes elsewhere keeps the
official rule (hands and narration only), as ``data_prepare_visor.py`` labels it. Each
label's ``rule`` says which rule produced its positive flag.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from actionvos.errors import Cancelled, InputError
from actionvos.labeling.hos import clip_hand_objects
from actionvos.labeling.narration import narration_classes, narration_mentions
from actionvos.labeling.vocabulary import HAND_NAMES, EpicNouns, load_epic_nouns

Progress = Callable[[int, int, str], None]

REASON_HAND = "is a hand"
REASON_NARRATION = "named in the narration"
REASON_HAND_OBJECT_BOX = "touches a hand-object box"
REASON_HAND_OBJECT_MASK = "in a hand-object mask"
REASON_CONTACT = "touches a hand (contact rule)"

RULE_OFFICIAL = "official"  # data_prepare_visor.py: hand, hand-object box or narration
RULE_CONTACT = "contact"  # ours: positive only because it touches a hand


@dataclass
class ObjectLabel:
    """Flags and provenance of one object (instance id ``index + 1`` in the masks)."""

    name: str
    class_id: int | None
    narration: bool
    handbox: bool
    contact: bool
    positive: bool
    reasons: list[str] = field(default_factory=list)
    narration_text: str | None = None
    box_frames: list[int] = field(default_factory=list)
    hand_object_mask_frames: list[int] = field(default_factory=list)
    contact_frames: list[int] = field(default_factory=list)

    @property
    def rule(self) -> str:
        """``"contact"`` when only the contact rule made this object positive, else ``"official"``.

        The flags then equal what the official preparation computes from the same inputs.
        """
        if self.positive and self.contact and not (self.handbox or self.narration):
            return RULE_CONTACT
        return RULE_OFFICIAL

    def official_record(self) -> dict[str, object]:
        """The entry ActionVOS stores in ``object_classes`` of its split JSON, plus ``rule``."""
        return {
            "name": self.name,
            "class_id": self.class_id,
            "handbox": int(self.handbox),
            "narration": int(self.narration),
            "positive": int(self.positive),
            "rule": self.rule,
        }


def is_hand(name: str) -> bool:
    """The official hand test: the VISOR names ``left hand`` and ``right hand`` exactly."""
    return " ".join(name.lower().split()) in HAND_NAMES


def _check_masks(masks: np.ndarray, n_objects: int, what: str = "masks") -> np.ndarray:
    masks = np.asarray(masks)
    if masks.ndim == 2:
        masks = masks[None]
    if masks.ndim != 3:
        raise InputError(f"{what} must be [T, H, W] instance ids, got shape {masks.shape}")
    if not np.issubdtype(masks.dtype, np.integer):
        raise InputError(f"{what} must hold integer instance ids, got dtype {masks.dtype}")
    if masks.size and (masks.min() < 0 or masks.max() > n_objects):
        raise InputError(
            f"{what} hold ids {int(masks.min())}..{int(masks.max())} but there are "
            f"{n_objects} object names; id k must name object_names[k-1]"
        )
    return masks


def _ids_where(frame: np.ndarray, where: np.ndarray) -> set[int]:
    return {int(i) for i in np.unique(frame[where]) if i != 0}


def _narration_flags(
    narration: str,
    names: Sequence[str],
    class_ids: Sequence[int | None] | None,
    action_noun_classes: Sequence[int] | None,
    vocab: EpicNouns,
) -> tuple[list[bool], list[int | None], list[str | None]]:
    """Official class-id rule where ids are known, the free-text rule elsewhere."""
    given = list(class_ids) if class_ids is not None else [None] * len(names)
    resolved = [
        int(c) if c is not None else vocab.class_of_name(n)
        for c, n in zip(given, names, strict=True)
    ]
    mentions = narration_classes(narration, vocab)
    text_of = {}
    for m in mentions:
        text_of.setdefault(m.class_id, m.text)
    if action_noun_classes is not None:
        wanted = {int(c) for c in action_noun_classes}
        free = narration_mentions(narration, names, class_ids=resolved, vocab=vocab)
        flags = [c in wanted if c is not None else f for c, f in zip(resolved, free, strict=True)]
    else:
        flags = narration_mentions(narration, names, class_ids=resolved, vocab=vocab)
    texts = [
        text_of.get(c) if f and c is not None else None
        for c, f in zip(resolved, flags, strict=True)
    ]
    return flags, resolved, texts


def _near_hand(hand: np.ndarray, contact_px: float) -> tuple[tuple[slice, slice], np.ndarray]:
    """Pixels within ``contact_px`` of the hand, computed only around the hand's extent."""
    rows = np.flatnonzero(hand.any(axis=1))
    cols = np.flatnonzero(hand.any(axis=0))
    grow = int(np.ceil(contact_px)) + 1
    window = (
        slice(max(0, rows[0] - grow), rows[-1] + grow + 1),
        slice(max(0, cols[0] - grow), cols[-1] + grow + 1),
    )
    return window, ndimage.distance_transform_edt(~hand[window]) <= contact_px


def _contact_frames(
    masks: np.ndarray,
    hand: np.ndarray,
    hand_ids: set[int],
    contact_px: float,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> dict[int, list[int]]:
    """Frames in which each non-hand object lies within ``contact_px`` of a hand pixel."""
    found: dict[int, list[int]] = {}
    n = masks.shape[0]
    for t in range(n):
        if cancel is not None and cancel.is_set():
            raise Cancelled("labeling cancelled")
        if hand[t].any():
            window, near = _near_hand(hand[t], contact_px)
            for k in _ids_where(masks[t][window], near) - hand_ids:
                found.setdefault(k, []).append(t)
        if progress is not None:
            progress(t + 1, n, "contact with the hands")
    return found


def label_objects(
    masks: np.ndarray,
    object_names: Sequence[str],
    narration: str,
    *,
    class_ids: Sequence[int | None] | None = None,
    action_noun_classes: Sequence[int] | None = None,
    hand_object_masks: np.ndarray | None = None,
    hand_object_boxes: Sequence[Sequence[Sequence[float]] | None] | None = None,
    hand_masks: np.ndarray | None = None,
    contact_px: float | None = 3,
    clip_has_hand_objects: bool | None = None,
    vocab: EpicNouns | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> list[ObjectLabel]:
    """Label every object of one action.

    ``masks`` is ``[T, H, W]`` (or one ``[H, W]`` frame) of instance ids, id k naming
    ``object_names[k-1]``. ``hand_object_boxes`` holds one list of ``(x0, y0, x1, y1)`` boxes per
    frame (None: not annotated); ``hand_object_masks`` is ``[T, H, W]``, nonzero inside
    hand-object masks (boxes are taken from it for frames without boxes). ``hand_masks`` is
    ``[T, H, W]``, nonzero on hands, for clips whose hands are not among the objects. Set
    ``contact_px=None`` to never use the contact rule. ``clip_has_hand_objects`` says whether
    any frame of the whole clip (not only this action's frames) has hand-object annotations;
    when True the contact rule is never used, as the official rule stands for every action of
    such a clip. None judges from the frames given (right when they are the whole clip).
    ``progress``/``cancel`` cover the per-frame contact search, the only part that grows
    with clip length and resolution.
    """
    names = [str(n) for n in object_names]
    masks = _check_masks(masks, len(names))
    n_frames, shape = masks.shape[0], masks.shape[1:]
    vocab = vocab or load_epic_nouns()
    if class_ids is not None and len(class_ids) != len(names):
        raise InputError(f"class_ids has {len(class_ids)} entries for {len(names)} objects")
    hos = clip_hand_objects(n_frames, shape, hand_object_boxes, hand_object_masks)

    box_frames: dict[int, list[int]] = {}
    mask_frames: dict[int, list[int]] = {}
    for t, frame in enumerate(hos):
        if frame.annotated:
            for k in _ids_where(masks[t], frame.box_union(shape)):
                box_frames.setdefault(k, []).append(t)
        if frame.mask is not None:
            for k in _ids_where(masks[t], frame.mask > 0):
                mask_frames.setdefault(k, []).append(t)

    hand_ids = {k + 1 for k, n in enumerate(names) if is_hand(n)}
    contact: dict[int, list[int]] = {}
    has_hos = any(f.annotated for f in hos)
    if clip_has_hand_objects is not None:
        if has_hos and not clip_has_hand_objects:
            raise InputError(
                "clip_has_hand_objects is False but hand-object boxes or masks were given"
            )
        has_hos = bool(clip_has_hand_objects)
    if contact_px is not None and not has_hos:
        hand = np.isin(masks, sorted(hand_ids))
        if hand_masks is not None:
            hm = np.asarray(hand_masks)
            if hm.shape != masks.shape:
                raise InputError(
                    f"hand_masks has shape {hm.shape} but the object masks have {masks.shape}"
                )
            hand |= hm > 0
        contact = _contact_frames(masks, hand, hand_ids, float(contact_px), progress, cancel)

    flags, resolved, texts = _narration_flags(
        narration, names, class_ids, action_noun_classes, vocab
    )
    labels = []
    for k, name in enumerate(names):
        oid = k + 1
        hand_flag = oid in hand_ids
        handbox = hand_flag or oid in box_frames
        touch = oid in contact
        reasons = [
            r
            for r, on in (
                (REASON_HAND, hand_flag),
                (REASON_NARRATION, flags[k]),
                (REASON_HAND_OBJECT_BOX, oid in box_frames),
                (REASON_HAND_OBJECT_MASK, oid in mask_frames),
                (REASON_CONTACT, touch),
            )
            if on
        ]
        labels.append(
            ObjectLabel(
                name=name,
                class_id=resolved[k],
                narration=flags[k],
                handbox=handbox,
                contact=touch,
                positive=handbox or flags[k] or touch,
                reasons=reasons,
                narration_text=texts[k],
                box_frames=box_frames.get(oid, []),
                hand_object_mask_frames=mask_frames.get(oid, []),
                contact_frames=contact.get(oid, []),
            )
        )
    return labels
