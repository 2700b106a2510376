"""Training and held-out evaluation data from label stores.

For every action of every store this reads the frames that carry labels (by default the
human-verified ones and the pseudo-labels; model output only when asked), the masks
renumbered as ActionVOS numbers them, and one flag per object (every object the frames show,
and the inactive ones the action has a flag for: an object the model left empty trains as a
negative with an empty mask, as upstream's negatives do) with the store's precedence: a
person's flag beats a stored rule flag, which beats the rule computed now
(:func:`actionvos.store.pseudo_labels.final_flags`). Frames nobody labelled are never read,
so they give no mask supervision. Hand-object boxes feed the action-guided weight maps
exactly as the labeling module makes them.

The labelled frames of each action are split deterministically: every ``holdout_every``-th
frame is held out for the before/after evaluation and never trained on.

Stores are opened read-only; anything that would make a run fail (not a store, a damaged one,
a newer format, a clip that is missing or does not match, no labels) is refused here, before
a model is loaded or a step is trained.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from actionvos.errors import ClipError, InputError, StoreError
from actionvos.labeling import ObjectLabel, raw_weight_maps
from actionvos.metrics.engine_eval import LabelledClip
from actionvos.store import FrameState, Store
from actionvos.store.pseudo_labels import (
    ActionObjects,
    FinalFlags,
    action_objects,
    compute_labels,
    final_flags,
    hos_for_frames,
)
from actionvos.training import TrainClip

#: What trains by default: what people verified and the rule's pseudo-labels, not model output.
DEFAULT_STATES = (FrameState.HUMAN, FrameState.PSEUDO)


@dataclass(frozen=True)
class SampleOptions:
    """Which frames train and which are held out."""

    states: tuple[FrameState, ...] = DEFAULT_STATES
    #: Every n-th labelled frame of an action is held out (0: none held out).
    holdout_every: int = 5

    def __post_init__(self) -> None:
        if self.holdout_every < 0 or self.holdout_every == 1:
            raise InputError(
                f"holdout_every must be 0 (hold nothing out) or at least 2, got "
                f"{self.holdout_every}"
            )
        if not self.states:
            raise InputError("give at least one frame state to train on")


@dataclass(frozen=True)
class StoreRevision:
    """Which labels of a store a run used: enough to tell later whether they changed."""

    path: str
    video: str
    last_correction: int | None
    labels_digest: str
    train_frames: int
    heldout_frames: int

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "video": self.video,
            "last_correction": self.last_correction,
            "labels_digest": self.labels_digest,
            "train_frames": self.train_frames,
            "heldout_frames": self.heldout_frames,
        }


@dataclass
class StoreData:
    """One store's training clips (one per action), held-out clips and revision."""

    path: Path
    train: list[TrainClip]
    heldout: list[LabelledClip]
    revision: StoreRevision
    sources: dict[str, int] = field(default_factory=dict)  # flag source -> count


def split_frames(frames: list[int], every: int) -> tuple[list[int], list[int]]:
    """(train, held out): every ``every``-th frame (the last of each group) is held out."""
    if every <= 0 or len(frames) < 2:
        return list(frames), []
    held = [f for i, f in enumerate(frames) if i % every == every - 1]
    if not held:  # fewer frames than a group: still hold one out, keep the rest
        held = [frames[-1]]
    keep = set(held)
    return [f for f in frames if f not in keep], held


def clip_path_of(store: Store) -> Path:
    """The clip a store labels, as recorded in it (relative paths: from the store's folder)."""
    recorded = store.meta.get("clip") or ""
    if not recorded:
        raise InputError(
            f"{store.path} does not say which clip it labels, so its frames cannot be read; "
            "save it again from napari with the clip open"
        )
    path = Path(recorded).expanduser()
    if not path.is_absolute() and not path.exists():
        path = store.path.parent / path
    if not path.exists():
        raise ClipError(
            f"the clip {recorded} that {store.path} labels is missing; put it back (or move the "
            "store beside it) and run again"
        )
    return path


def open_store(path: str | Path) -> Store:
    """Open a store read-only and refuse it if its check finds damage."""
    path = Path(path)
    if path.is_dir() and not (path / "labels.sqlite").is_file():
        raise StoreError(
            f"{path} is not an actionvos label store (it has no labels.sqlite); give the "
            "<clip>.actionvos folder that napari or `actionvos store` wrote"
        )
    store = Store.open(path, read_only=True)
    try:
        problems = store.check()
    except BaseException:
        store.close(save=False)
        raise
    if problems:
        store.close(save=False)
        shown = "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
        raise StoreError(
            f"{path} is damaged ({len(problems)} problems: {shown}); nothing was trained. "
            "See `actionvos store check STORE`, restore it from a backup or leave it out"
        )
    return store


def read_store(path: str | Path, options: SampleOptions = SampleOptions()) -> StoreData:
    """Training and held-out clips of every action of one store (see the module docstring)."""
    store = open_store(path)
    try:
        with store.snapshot():
            return _read(store, options)
    finally:
        store.close(save=False)


def _read(store: Store, options: SampleOptions) -> StoreData:
    from actionvos.io import open_clip

    if not store.actions():
        raise InputError(
            f"{store.path} has no action: add the narration (e.g. 'cut apple') in the widget, "
            "then label its objects"
        )
    clip = open_clip(clip_path_of(store))
    if (clip.n_frames, *clip.shape[1:3]) != store.shape:
        raise ClipError(
            f"{store.path} labels {store.shape[0]} frames of {store.shape[1]}x{store.shape[2]} "
            f"but its clip {clip_path_of(store)} has {clip.n_frames} of "
            f"{clip.shape[1]}x{clip.shape[2]}: the store belongs to another clip"
        )
    digest = hashlib.sha256()
    train: list[TrainClip] = []
    heldout: list[LabelledClip] = []
    sources: dict[str, int] = {}
    n_train = n_held = 0
    for action in store.actions():
        seq, computed, flags = _action_objects(store, action.id, options.states)
        if not seq.frames or not seq.names:
            continue
        for f in flags:
            sources[f.source] = sources.get(f.source, 0) + 1
        labels = [
            replace(c, positive=f.positive, narration=f.narration)
            for c, f in zip(computed, flags, strict=True)
        ]
        boxes, _ = hos_for_frames(store, seq.frames)
        raw = raw_weight_maps(seq.masks, labels, boxes)
        positive = [f.positive for f in flags]
        human = np.array([store.frame_state(f) is FrameState.HUMAN for f in seq.frames])
        painted = (seq.masks > 0) & human[:, None, None]
        digest.update(json.dumps([action.id, action.narration, seq.frames, seq.names]).encode())
        digest.update(json.dumps(positive).encode() + np.ascontiguousarray(seq.masks).tobytes())
        train_frames, held_frames = split_frames(seq.frames, options.holdout_every)
        index = {f: i for i, f in enumerate(seq.frames)}
        frames = clip[seq.frames]
        name = f"{store.video}:{action.id}"
        if train_frames:
            ti = [index[f] for f in train_frames]
            train.append(
                TrainClip(
                    frames=frames[ti],
                    ids=seq.masks[ti].astype(np.int64),
                    raw_weights=raw[ti].astype(np.uint8),
                    object_names=list(seq.names),
                    positive=positive,
                    narration=action.narration,
                    class_ids=[lab.class_id or 0 for lab in labels],
                    name=name,
                    painted=painted[ti],
                )
            )
        if held_frames:
            hi = [index[f] for f in held_frames]
            heldout.append(
                LabelledClip(
                    name,
                    frames[hi],
                    seq.masks[hi].astype(np.int64),
                    list(seq.names),
                    positive,
                    action.narration,
                )
            )
        n_train += len(train_frames)
        n_held += len(held_frames)
    if not train:
        wanted = ", ".join(s.value for s in options.states)
        raise InputError(
            f"{store.path} has no labelled frames to train on (looked for {wanted} frames "
            "inside its actions); label and save some frames first"
        )
    history = store.history(include_discarded=True)
    revision = StoreRevision(
        path=str(store.path.resolve()),
        video=store.video,
        last_correction=history[-1].id if history else None,
        labels_digest=digest.hexdigest(),
        train_frames=n_train,
        heldout_frames=n_held,
    )
    return StoreData(store.path, train, heldout, revision, sources)


def _action_objects(
    store: Store, action_id: int, states: tuple[FrameState, ...]
) -> tuple[ActionObjects, list[ObjectLabel], list[FinalFlags]]:
    """The objects one action trains on, their rule labels and their final flags.

    Every object the frames show, and every object the action has a flag for where the flag
    is *inactive*: negatives the model left empty train (and are scored) as negatives, with
    empty masks. An active object that no labelled frame shows is left out: there is no mask
    to learn it from, and "active but empty" would teach the mask head to draw nothing.
    """
    flagged = set(store.activity(action_id))
    seq = action_objects(store, action_id, states, also=flagged)
    if not seq.frames or not seq.names:
        return seq, [], []
    computed = compute_labels(store, seq)
    flags = final_flags(store, seq, computed)
    shown = set(store.objects_in_frames(seq.frames))
    unpainted = {o for o, f in zip(seq.object_ids, flags, strict=True) if f.positive} - shown
    if unpainted:
        seq = action_objects(store, action_id, states, also=flagged - unpainted)
        computed = compute_labels(store, seq)
        flags = final_flags(store, seq, computed)
    return seq, computed, flags


def read_stores(
    paths: list[str | Path], options: SampleOptions = SampleOptions()
) -> list[StoreData]:
    """Every store, all checked before any is used; the same store twice is refused."""
    if not paths:
        raise InputError("give at least one label store to fine-tune on")
    seen: set[Path] = set()
    for p in paths:
        key = Path(p).resolve()
        if key in seen:
            raise InputError(f"{p} is given twice; give each store once")
        seen.add(key)
    return [read_store(p, options) for p in paths]
