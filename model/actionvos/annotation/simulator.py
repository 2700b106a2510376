"""A simulated annotator: edits a clip until its gIoU reaches a target, and counts the edits.

The bot knows the truth (it stands for a person who sees what is right) but may only make
the edits a person makes (``edits.py``): flip an object's activity flag, put one brush
stroke on a mask, propagate a corrected mask (``actionvos.propagation``), or undo a
propagation that made things worse. Looking at a frame costs nothing. It stops as soon as
the clip's official gIoU over all frames and objects reaches ``target_giou``.

Modes (``Mode``):

* **manual**: empty masks, brush only; the flags are right from the start (a person painting
  an object into the *active* layer has said it is active). Objects in id order, frames in
  time order.
* **model**: the model's output; objects in the widget's review order (``review.py``), each
  one's flag checked and fixed, then (for an active object) its frames least confident first
  (``actionvos.propagation.confidence``); after correcting a frame the bot propagates it.
* **random_order**: as *model*, with objects and frames in a random order (``seed``).
* **worst_first**: as *model*, in an order that knows the truth: objects with a wrong flag
  first, then the lowest mean IoU; each object's worst frame first. No person can review in
  this order; it shows what a confidence that found the worst masks would buy. It is not
  the best order: the worst frame often costs the most strokes and propagates no better.

A frame the bot corrected becomes human-verified: propagation stops there and never
overwrites it, as in the store. Since that state holds for the whole frame, the bot makes
every active object of a frame right when it corrects one of them there (manual mode does
that frame by frame anyway).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from actionvos.annotation.edits import EditCounter, EditKind, brush_radius, brush_stroke
from actionvos.annotation.review import box_only, review_order
from actionvos.annotation.scoring import ClipScorer
from actionvos.annotation.start import AnnotationState, ModelOutput
from actionvos.errors import InputError
from actionvos.labeling.rules import label_objects
from actionvos.propagation.confidence import frame_confidence, least_confident
from actionvos.propagation.flow import FlowCache
from actionvos.propagation.propagate import PropagationRequest, propagate
from actionvos.propagation.store_writer import paste_object
from actionvos.store.schema import FrameState


class Mode(str, Enum):
    MANUAL = "manual"
    MODEL = "model"
    RANDOM_ORDER = "random_order"
    WORST_FIRST = "worst_first"


@dataclass(frozen=True)
class SimulationSettings:
    """Targets and limits of one simulated annotation."""

    target_giou: float = 0.90  # over all frames and objects of the clip
    sample_iou: float = 0.90  # a frame's mask counts as right at this IoU
    max_edits: int = 20_000  # a run that needs more is reported as not reaching the target
    max_strokes_per_frame: int = 500
    propagate_frames: int = 30  # per direction
    min_confidence: float = 0.5
    model_weight: float = 0.4
    flow_scale: float = 0.5
    seed: int = 0  # the random review order


@dataclass(frozen=True)
class ClipTask:
    """One clip to annotate and its truth: what the bot compares against."""

    name: str
    frames: np.ndarray  # uint8 [T, H, W, 3]
    truth: np.ndarray  # uint16 [T, H, W], value k = object k
    positive: np.ndarray  # bool [N], the true activity flags
    object_names: list[str]
    narration: str
    class_ids: list[int] | None = None
    hand_object_boxes: list | None = None  # per frame (x0, y0, x1, y1) boxes, for the order

    @classmethod
    def from_synthetic(cls, clip) -> ClipTask:  # noqa: ANN001  (a sample.SyntheticClip)
        return cls(
            f"synthetic-{clip.seed}",
            clip.frames,
            clip.masks.astype(np.uint16),
            np.array(clip.active, dtype=bool),
            list(clip.object_names),
            clip.narration,
            list(clip.class_ids),
            clip.hand_object_boxes,
        )


@dataclass
class SimulationResult:
    """The edits one mode took on one clip, and what they reached."""

    clip: str
    mode: str
    edits: EditCounter
    giou_start: float
    giou_end: float
    reached: bool
    object_frames: int  # frames x objects of the clip
    propagated_frames: int = 0
    propagation_seconds: float = 0.0
    frames_reviewed: int = 0  # (object, frame) masks looked at: no edit, but a person's time
    order: list[int] = field(default_factory=list)
    state: AnnotationState | None = field(default=None, repr=False)  # the final annotation

    def as_dict(self) -> dict:
        return {
            "clip": self.clip,
            "mode": self.mode,
            "edits": self.edits.total,
            "by_kind": self.edits.as_dict(),
            "giou_start": round(self.giou_start, 4),
            "giou_end": round(self.giou_end, 4),
            "reached": self.reached,
            "object_frames": self.object_frames,
            "propagated_frames": self.propagated_frames,
            "propagation_seconds": round(self.propagation_seconds, 3),
            "frames_reviewed": self.frames_reviewed,
        }


class _Done(Exception):
    """The target was reached (or the edit budget spent): stop editing."""


class _Annotator:
    """One simulated annotation in progress (private: ``simulate`` is the public face)."""

    def __init__(
        self,
        task: ClipTask,
        state: AnnotationState,
        settings: SimulationSettings,
        model: ModelOutput | None,
    ) -> None:
        self.task, self.state, self.settings, self.model = task, state, settings, model
        self.scorer = ClipScorer(task.truth, task.positive)
        self.scorer.update_all(state.labels)
        self.counter = EditCounter()
        self.radius = brush_radius(*task.truth.shape[1:])
        self.flows: FlowCache | None = None
        self.no_propagation: set[int] = set()
        self.propagated_frames = 0
        self.propagation_seconds = 0.0
        self.frames_reviewed = 0
        self.order: list[int] = list(range(len(task.positive)))  # the objects' review order

    # ---------------------------------------------------------------- bookkeeping
    def giou(self) -> float:
        return self.scorer.giou(self.state.active)

    def _count(self, kind: EditKind) -> None:
        self.counter.add(kind)
        if (
            self.giou() >= self.settings.target_giou
            or self.counter.total >= self.settings.max_edits
        ):
            raise _Done

    def frame_ok(self, t: int, k: int) -> bool:
        return self.scorer.iou(t, k) >= self.settings.sample_iou

    # ---------------------------------------------------------------- edits
    def fix_flag(self, k: int) -> None:
        if self.state.active[k] != self.task.positive[k]:
            self.state.active[k] = self.task.positive[k]
            self._count(EditKind.FLAG)

    def fix_frame(self, t: int, k: int) -> bool:
        """Brush object k at frame t until it is right; True if anything was painted."""
        strokes = 0
        labels = self.state.labels[t]
        while not self.frame_ok(t, k) and strokes < self.settings.max_strokes_per_frame:
            if brush_stroke(labels, self.task.truth[t], k + 1, self.radius) == 0:
                break
            strokes += 1
            self.scorer.update(t, labels)
            self.state.states[t] = FrameState.HUMAN
            self._count(EditKind.BRUSH)
        return strokes > 0

    def propagate_from(self, t: int, k: int) -> None:
        """Propagate object k's corrected mask from frame t; undo it if it made the frames
        it reached worse (it may also paint over other objects)."""
        if k in self.no_propagation:
            return
        if self.flows is None:
            self.flows = FlowCache(self.task.frames, scale=self.settings.flow_scale)
        model = self.model
        request = PropagationRequest(
            t,
            self.state.labels[t] == k + 1,
            k + 1,
            stop_frames=self.state.human_frames(),
            max_frames=self.settings.propagate_frames,
            min_confidence=self.settings.min_confidence,
            model_weight=self.settings.model_weight,
            model_probability=None
            if model is None
            else (lambda f: model.probabilities[f, k].astype(np.float32)),
        )
        started = time.perf_counter()
        result = propagate(request, self.flows)
        self.propagation_seconds += time.perf_counter() - started
        if not result.frames:
            return
        before = {f: (self.state.labels[f].copy(), self.state.states[f]) for f in result.frames}
        old_trust = self.state.propagated[result.frames, k].copy()
        quality_before = self._quality(result.frames)
        for f in result.frames:
            self.state.labels[f] = paste_object(self.state.labels[f], k + 1, result.masks[f])
            self.state.states[f] = FrameState.PROPAGATED
            self.state.propagated[f, k] = result.confidence[f]
            self.scorer.update(f, self.state.labels[f])
        self.propagated_frames += len(result.frames)
        worse = self._quality(result.frames) < quality_before
        self._count(EditKind.PROPAGATE)
        if worse:  # a person sees the masks got worse, presses undo and stops propagating k
            for f, (labels, frame_state) in before.items():
                self.state.labels[f] = labels
                self.state.states[f] = frame_state
                self.scorer.update(f, labels)
            self.state.propagated[result.frames, k] = old_trust
            self.no_propagation.add(k)
            self._count(EditKind.UNDO)

    def _quality(self, frames: list[int]) -> float:
        """Summed IoU of the active objects on these frames (what a person sees there)."""
        objects = np.flatnonzero(self.task.positive)
        return float(sum(self.scorer.iou(f, int(j)) for f in frames for j in objects))

    # ---------------------------------------------------------------- reviews
    def review_object(
        self, k: int, next_frame: Callable[[int, set[int]], int | None], with_propagation: bool
    ) -> None:
        """Fix object k's frames in the order ``next_frame(k, seen)`` gives (None: done)."""
        if not self.task.positive[k]:
            return
        seen: set[int] = set()
        while len(seen) < self.task.truth.shape[0]:
            t = next_frame(k, seen)
            if t is None:
                return
            seen.add(t)
            self.frames_reviewed += 1
            if not self.frame_ok(t, k):
                self.verify_frame(t, k, with_propagation)

    # ---------------------------------------------------------------- frame orders
    def least_confident_frame(self, k: int, seen: set[int]) -> int | None:
        """The widget's **Next to review**: object k's least confident frame not yet seen."""
        pick = least_confident(self.confidence(), skip_frames=sorted(seen), objects=[k])
        return None if pick is None else pick[0]

    def worst_frame(self, k: int, seen: set[int]) -> int | None:
        """Object k's frame of lowest IoU with the truth (the worst_first order)."""
        left = [t for t in range(self.task.truth.shape[0]) if t not in seen]
        return min(left, key=lambda t: (self.scorer.iou(t, k), t)) if left else None

    def worst_objects(self) -> list[int]:
        """Objects with a wrong flag first, then by mean IoU over frames, lowest first."""
        n_frames = self.task.truth.shape[0]

        def key(k: int) -> tuple[bool, float, int]:
            mean_iou = sum(self.scorer.iou(t, k) for t in range(n_frames)) / n_frames
            return (bool(self.state.active[k] == self.task.positive[k]), mean_iou, k)

        return sorted(range(len(self.task.positive)), key=key)

    def verify_frame(self, t: int, k: int, with_propagation: bool) -> None:
        """Correct object k at frame t, and the frame's other active objects with it (the
        frame becomes human-verified, so it must be right as a whole); then propagate each
        corrected object from there."""
        fixed = []
        for j in [k, *(j for j in self.order if j != k and self.task.positive[j])]:
            self.frames_reviewed += int(j != k)  # k's mask here was counted as it was picked
            if self.frame_ok(t, j):
                continue
            self.fix_flag(j)
            if self.fix_frame(t, j):
                fixed.append(j)
        if with_propagation:
            for j in fixed:
                self.propagate_from(t, j)

    def confidence(self) -> np.ndarray:
        model = self.model
        return frame_confidence(
            self.state.labels,
            len(self.task.positive),
            self.state.states,
            propagated=self.state.propagated,
            probabilities=None
            if model is None
            else (lambda f: model.probabilities[f].astype(np.float32)),
        )


def widget_order(task: ClipTask, model: ModelOutput) -> list[int]:
    """The widget's review order for this clip, from the model's masks and the clip's boxes."""
    labels = label_objects(
        model.labels,
        task.object_names,
        task.narration,
        class_ids=task.class_ids,
        hand_object_boxes=task.hand_object_boxes,
        contact_px=None,
    )
    return review_order(model.positive, model.threshold, box_only(labels))


def simulate(
    task: ClipTask,
    mode: Mode | str,
    model: ModelOutput | None = None,
    settings: SimulationSettings | None = None,
) -> SimulationResult:
    """Annotate ``task`` in ``mode`` until the target; see the module docstring."""
    mode = Mode(mode)
    settings = settings or SimulationSettings()
    if mode is not Mode.MANUAL and model is None:
        raise InputError(f"the {mode.value} mode starts from a model's output; give model=")
    if model is not None and model.labels.shape != task.truth.shape:
        raise InputError(
            f"the model's masks are {model.labels.shape}, the clip's truth {task.truth.shape}"
        )
    if mode is Mode.MANUAL:
        state = AnnotationState.empty(task.truth.shape, task.positive)
        bot = _Annotator(task, state, settings, None)
    else:
        bot = _Annotator(task, AnnotationState.from_model(model), settings, model)
    n_objects, n_frames = len(task.positive), task.truth.shape[0]
    rng = np.random.default_rng(settings.seed)

    def in_time(k: int, seen: set[int]) -> int | None:
        return next((t for t in range(n_frames) if t not in seen), None)

    shuffles: dict[int, np.ndarray] = {}  # object -> its frames in random order (random_order)

    def shuffled(k: int, seen: set[int]) -> int | None:
        return next((int(t) for t in shuffles[k] if t not in seen), None)

    if mode is Mode.MANUAL:
        order, next_frame = list(range(n_objects)), in_time
    elif mode is Mode.MODEL:
        order, next_frame = widget_order(task, model), bot.least_confident_frame
    elif mode is Mode.WORST_FIRST:
        order, next_frame = bot.worst_objects(), bot.worst_frame
    else:
        order, next_frame = [int(k) for k in rng.permutation(n_objects)], shuffled
        shuffles.update((k, rng.permutation(n_frames)) for k in order)
    bot.order = order
    start = bot.giou()
    try:
        if start >= settings.target_giou:
            raise _Done
        for k in order:
            if mode is not Mode.MANUAL:
                bot.fix_flag(k)
            bot.review_object(k, next_frame, with_propagation=mode is not Mode.MANUAL)
    except _Done:
        pass
    end = bot.giou()
    return SimulationResult(
        task.name,
        mode.value,
        bot.counter,
        start,
        end,
        end >= settings.target_giou,
        n_objects * n_frames,
        bot.propagated_frames,
        bot.propagation_seconds,
        bot.frames_reviewed,
        order,
        bot.state,
    )
