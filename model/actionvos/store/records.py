"""Plain records the store hands out, so callers never see SQLite rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from actionvos.store.schema import FrameState, ModelRole, Source


@dataclass(frozen=True)
class ObjectRecord:
    """One object of the clip; its id is the value its pixels carry in every frame's mask."""

    id: int
    name: str
    class_id: int | None
    colour: str  # "#rrggbb"


@dataclass(frozen=True)
class ActionRecord:
    """One narrated action; frames are store indices (0-based), end inclusive."""

    id: int
    narration: str
    start_frame: int
    end_frame: int
    verb: str | None = None
    noun: str | None = None
    verb_class: int | None = None
    noun_class: int | None = None
    all_nouns: tuple[str, ...] = ()
    all_noun_classes: tuple[int, ...] = ()
    prompt: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class ActivityRecord:
    """Whether one object takes part in one action, and who said so."""

    action_id: int
    object_id: int
    active: bool | None
    source: Source
    probability: float | None = None
    reasons: dict = field(default_factory=dict)
    model_id: int | None = None


@dataclass(frozen=True)
class FrameRecord:
    """A labelled frame's state and the model that last wrote it, if any."""

    frame: int
    state: FrameState
    model_id: int | None
    updated: str


@dataclass(frozen=True)
class HandBox:
    """A VISOR-HOS box: category 1 is a hand, 2 an object in contact; xywh in store pixels."""

    category: int
    x: float
    y: float
    w: float
    h: float
    polygons: tuple[tuple[float, ...], ...] = ()
    handside: int | None = None
    in_contact: int | None = None


@dataclass(frozen=True)
class ModelRecord:
    """A model version that produced labels here (USED) or was trained from them (TRAINED)."""

    id: int
    name: str
    role: ModelRole
    checksum: str | None
    time: str
    details: dict


@dataclass(frozen=True)
class Correction:
    """One undoable step of the edit history."""

    id: int
    time: str
    user: str
    label: str
    action_id: int | None
    status: str  # "applied", "undone" or "discarded"
    frames: tuple[int, ...]
    object_ids: tuple[int, ...]
    summary: tuple[str, ...]
