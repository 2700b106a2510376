"""The "ActionVOS segment" dock widget.

The widget only arranges sections, follows the viewer's layers and starts work in threads;
each section is its own module, state lives in one :class:`Session`, and all real work happens
in the Qt-free core (:mod:`actionvos`) or in :mod:`actionvos_napari.segment_job`.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import QObject, QTimer, Signal
from qtpy.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from actionvos.errors import ActionVOSError, Cancelled, InputError
from actionvos.registry import LITE
from actionvos.store import FrameState
from actionvos.store.schema import DATABASE_FILE
from actionvos_napari import review_actions
from actionvos_napari.action_box import ActionBox
from actionvos_napari.activity import ActivityBar
from actionvos_napari.clip_facts import ClipFactsBox, clip_facts
from actionvos_napari.close_guard import CloseGuard
from actionvos_napari.confidence_strip import ConfidenceFeed, ConfidenceStrip, Job
from actionvos_napari.finetune_box import FinetuneBox
from actionvos_napari.finetune_job import run_finetune_job
from actionvos_napari.layers import META, merge_roles, object_features, role_layers, split_active
from actionvos_napari.linked_undo import LinkedHistory, same_layer
from actionvos_napari.mask_pair import MaskPair
from actionvos_napari.model_output import human_work, keep_human_edits, mask_volumes
from actionvos_napari.objects_table import ObjectRows, ObjectsTable
from actionvos_napari.paint_frames import frames_of_paint
from actionvos_napari.propagate_job import (
    describe,
    frame_states,
    human_frames,
    keep_propagated,
    paste_into_layers,
    propagate_object,
    recorded_states,
    strip_confidence,
)
from actionvos_napari.segment_job import SegmentOutcome, explain, place, run_segment
from actionvos_napari.session import Session
from actionvos_napari.shortcuts import bind_shortcuts, help_text
from actionvos_napari.store_box import StoreBox
from actionvos_napari.store_io import role_pair, save_action
from actionvos_napari.store_reader import ACTION_KEYS

if TYPE_CHECKING:
    import napari


class _Progress(QObject):
    """Carries progress from the worker thread to the UI thread (queued signal)."""

    changed = Signal(int, int, str)


@dataclass
class _Snapshot:
    """Everything besides pixels that one undo step puts back."""

    active_meta: dict
    inactive_meta: dict
    rows: ObjectRows | None
    outcome: SegmentOutcome | None
    threshold: float


class SegmentWidget(QWidget):
    """Dock widget: pick a clip, describe the action, run ActionVOS, review, save."""

    #: emitted on the UI thread when a run, a save or a fine-tune has finished (done, failed
    #: or cancelled)
    run_done = Signal()
    save_done = Signal()
    finetune_done = Signal()
    propagate_done = Signal()

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.session = Session()
        self.history = LinkedHistory(on_change=self._undone)
        self.rows: ObjectRows | None = None
        self.worker: Any = None
        self.save_worker: Any = None
        self.finetune_worker: Any = None
        self._activity: ActivityBar | None = None
        self.propagate_worker: Any = None
        self._pair: MaskPair | None = None
        self._cancel = threading.Event()
        self._progress = _Progress()
        self._progress.changed.connect(self._show_progress)

        # the panel scrolls on a small screen instead of squeezing the table to one row
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        panel = QWidget()
        scroll.setWidget(panel)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QVBoxLayout(panel)
        self.clip_box = ClipFactsBox(self)
        self.action_box = ActionBox(self)
        self.run_button = QPushButton("Run ActionVOS")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        self.progress_bar = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.table = ObjectsTable(self._toggle_object, self)
        self.next_button = QPushButton("Next to review")
        self.next_button.setToolTip(
            "select the next object most likely to need a flip: positive only by the "
            "hand-box rule first, then probability nearest θ; marks it reviewed (✓)"
        )
        self.propagate_button = QPushButton("Propagate")
        self.propagate_button.setToolTip(
            "carry the selected label's mask on this frame to the neighbouring frames along "
            "optical flow; stops at frames a person verified, and is one Ctrl-Z"
        )
        self.strip = ConfidenceStrip(self)
        self.confidence_feed = ConfidenceFeed(
            self.strip, self._confidence_job, self._fail, parent=self
        )
        self.store_box = StoreBox(self)
        self.finetune_box = FinetuneBox(self)
        for w in (self.clip_box, self.action_box):
            layout.addWidget(w)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.strip)
        review = QHBoxLayout()
        review.addWidget(self.next_button)
        review.addWidget(self.propagate_button)
        layout.addLayout(review)
        layout.addWidget(self.store_box)
        layout.addWidget(self.finetune_box)
        keys = QLabel("Shortcuts\n" + help_text())
        keys.setObjectName("actionvos_shortcuts")
        keys.setStyleSheet("font-family: monospace; font-size: 11px")
        layout.addWidget(keys)
        self.help_label = keys
        self.destroyed.connect(bind_shortcuts(self.viewer, self))  # unbind with the widget
        self.close_guard: CloseGuard | None = None  # set when first shown in the main window

        self.run_button.clicked.connect(self.run)
        self.next_button.clicked.connect(self.next_to_review)
        self.propagate_button.clicked.connect(self.propagate)
        self.strip.picked.connect(self._strip_picked)
        self.viewer.dims.events.current_step.connect(self._frame_shown)
        self.table.cellClicked.connect(
            lambda row, _col: self.select_object(self.table.index_at(row))
        )
        self.store_box.save_button.clicked.connect(self.save)
        self.finetune_box.button.clicked.connect(self.finetune)
        self.finetune_box.rerun_button.clicked.connect(self.rerun)
        self.cancel_button.clicked.connect(self._cancel.set)
        self.action_box.threshold.changed.connect(self._regate)
        self.action_box.store_action.changed.connect(self.switch_action)
        layers = self.viewer.layers
        layers.selection.events.active.connect(self._refresh)
        layers.events.inserted.connect(self._refresh)
        layers.events.removed.connect(self._refresh)
        self._refresh()

    @property
    def pair(self) -> MaskPair | None:
        """The active/inactive mask layers the widget works on, when both are open."""
        return self._pair

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        """Once docked, guard the main window against closing with unsaved edits."""
        super().showEvent(event)
        window = self.window()
        if self.close_guard is None and window is not self:
            self.close_guard = CloseGuard(window, self)

    # --- clip and layers -------------------------------------------------------------------
    def clip_layer(self) -> Any:
        """The clip to work on: the selected image layer, else the top-most image layer."""
        active = self.viewer.layers.selection.active
        if clip_facts(active) is not None:
            return active
        for layer in reversed(self.viewer.layers):
            if clip_facts(layer) is not None:
                return layer
        return None

    def _mask_layer(self, role: str) -> Any:
        """The clip's ``role`` mask layer; any ActionVOS mask layer when none names the clip."""
        clip = self.clip_layer()
        found = [
            layer
            for layer in self.viewer.layers
            if layer.metadata.get(META, {}).get("kind") == "masks"
            and layer.metadata[META].get("role") == role
        ]
        for layer in found:
            if clip is not None and layer.metadata[META].get("clip_layer") == clip.name:
                return layer
        return found[0] if found else None

    def _refresh(self, event: Any = None) -> None:
        layer = self.clip_layer()
        self.clip_box.show_layer(layer)
        self.session.keep_flows_of(layer.data if layer is not None else None)
        meta = layer.metadata.get(META, {}) if layer is not None else {}
        self._follow_masks()
        masks = self._pair.active.metadata[META] if self._pair is not None else {}
        self.store_box.suggest(meta.get("path"))
        narration = meta.get("narration") or masks.get("narration")
        objects = meta.get("objects") or masks.get("object_names")
        if narration and not self.action_box.narration.value:
            self.action_box.narration.value = narration
        if objects and not self.action_box.objects.value:
            self.action_box.objects.value = ", ".join(objects)
        if self.session.outcome is None and self.rows is None:
            self._show_labels()

    def _follow_masks(self) -> None:
        """Pair the two mask layers, watch their edits, forget layers that were deleted."""
        act, inact = self._mask_layer("active"), self._mask_layer("inactive")
        pair = self._pair
        if pair is not None and same_layer(pair.active, act) and same_layer(pair.inactive, inact):
            return
        if pair is not None:
            for layer in (pair.active, pair.inactive):
                if layer not in self.viewer.layers:
                    self.history.forget(layer)
                    layer.events.paint.disconnect(self._painted)
        self._pair = None
        self.confidence_feed.schedule()
        if act is None or inact is None:
            self.session.discard()  # the layers holding the edits are gone
            return
        self._pair = MaskPair(act, inact, self.history)
        reopened = act.metadata[META].get("store_path")
        if reopened:  # layers read from a store: continue in that store
            self.store_box.path.setText(reopened)
            self.session.store_path = reopened
        self._show_store_actions()
        for layer in (act, inact):
            layer.events.paint.disconnect(self._painted)
            layer.events.paint.connect(self._painted)

    def _show_labels(self) -> None:
        """Fill the table from mask layers that arrived with labels (sample, dataset)."""
        layer = self._mask_layer("active")
        if layer is None:
            return
        meta = layer.metadata[META]
        names, active = meta["object_names"], meta["active"]
        reasons = meta.get("reasons") or [[meta.get("source", "loaded")] for _ in names]
        probs = meta.get("probabilities") or [None] * len(names)
        reviewed = set(meta.get("reviewed", []))
        self.publish(ObjectRows(list(names), list(probs), list(active), reasons, reviewed))

    def publish(self, rows: ObjectRows) -> None:
        """Show ``rows`` in the table and in both mask layers' metadata and ``features``."""
        self.rows = rows
        self.table.fill(rows)
        for layer in (self._mask_layer("active"), self._mask_layer("inactive")):
            if layer is None:
                continue
            meta = layer.metadata[META]
            meta["active"] = list(rows.active)
            meta["reasons"] = [list(r) for r in rows.reasons]
            source = meta.get("sources") or str(meta.get("source", ""))
            layer.features = object_features(
                rows.names, rows.active, rows.probs, rows.reasons, source
            )

    # --- run -------------------------------------------------------------------------------
    def run(self) -> Any:
        """Start a run in a worker thread; returns the worker (tests wait on it)."""
        layer = self.clip_layer()
        try:
            self._check_idle()
            if layer is None:
                raise ActionVOSError("open a clip first (File › Open, or a sample)")
            n_frames = int(layer.data.shape[0])
            frame = int(self.viewer.dims.current_step[0]) if self.viewer.dims.ndim else 0
            request = self.action_box.request(min(frame, n_frames - 1), n_frames)
            if self.session.unsaved:
                raise ActionVOSError(
                    "the mask layers hold edits that are not saved; Save them to the label "
                    "store first, or delete the two mask layers to discard them"
                )
        except ActionVOSError as exc:
            self._fail(exc)
            return None
        self._begin("ActionVOS run", "loading the model…")
        self.worker = create_worker(
            run_segment,
            request,
            layer.data,
            self.session.engines,
            progress=self._progress.changed.emit,
            cancel=self._cancel,
            base=self._base_volumes(request, layer.data.shape[:3]),
            _start_thread=False,
            _connect={
                "returned": lambda outcome: self._finished(outcome, layer.name),
                "errored": self._fail,
                "finished": self._idle,
            },
        )
        self.worker.start()
        return self.worker

    def _base_volumes(
        self, request: Any, shape: tuple[int, ...]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """For a run on part of the clip: copies of the layers it leaves in place (the same
        objects, the same size), so frames outside the run keep their masks."""
        pair = self._pair
        if request.span is None or pair is None or tuple(pair.active.data.shape) != shape:
            return None
        if list(pair.active.metadata[META].get("object_names", [])) != list(request.objects):
            return None
        return np.array(pair.active.data, copy=True), np.array(pair.inactive.data, copy=True)

    def _job_buttons(self) -> tuple[QPushButton, ...]:
        box = self.finetune_box
        return (self.run_button, self.propagate_button, box.button, box.rerun_button)

    @property
    def busy(self) -> bool:
        """A run, propagation or fine-tune is in flight (one at a time: they share Cancel)."""
        return self._activity is not None

    def _check_idle(self) -> None:
        if self.busy:
            raise ActionVOSError("wait for the running job to finish, or Cancel it")

    def _begin(self, title: str, message: str) -> None:
        """A job starts: one at a time, Cancel armed, a bar in napari's activity dock."""
        self._cancel.clear()
        for button in self._job_buttons():
            button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._activity = ActivityBar(title)
        self.status.setText(message)

    def _end(self) -> None:
        for button in self._job_buttons():
            button.setEnabled(True)
        self.finetune_box.rerun_button.setEnabled(self.finetune_box.version is not None)
        self.cancel_button.setEnabled(False)
        if self._activity is not None:
            self._activity.close()
            self._activity = None

    def _show_progress(self, done: int, total: int, message: str) -> None:
        self.progress_bar.setMaximum(max(total, 1))
        self.progress_bar.setValue(done)
        self.status.setText(message)
        if self._activity is not None:
            self._activity.show(done, total, message)

    def _idle(self) -> None:
        self._end()
        self.run_done.emit()

    def _save_idle(self) -> None:
        self.store_box.save_button.setEnabled(True)
        self.save_done.emit()

    def _fail(self, exc: BaseException) -> None:
        """Expected problems become a notification; a bug keeps its traceback."""
        if isinstance(exc, Cancelled):
            self.status.setText(f"cancelled; nothing was changed ({exc})")
            show_info(f"ActionVOS: {exc}")
            return
        if isinstance(exc, ActionVOSError):
            self.status.setText(f"error: {exc}")
            show_error(f"ActionVOS: {exc}")
            return
        self.status.setText(
            f"unexpected error ({type(exc).__name__}); napari's notification has the traceback"
        )
        raise exc  # napari's exception hook reports it with the worker's traceback

    def _kept_work(self, outcome: SegmentOutcome) -> dict[str, Any]:
        """Carry a person's work into a new run's output, in place; the metadata that says so.

        A re-run (after fine-tuning, or with another model) replaces model output only: frames
        a person painted or verified keep their masks, and flags set by hand stay. That needs
        the same objects in the same order (label k is object k on both sides); otherwise the
        human work stays in the store and is not shown over the new output.
        """
        pair = self._pair
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
            outcome.reasons[index] = [f"set {'active' if flag else 'inactive'} by you"]
        kept: dict[str, Any] = {
            "edited_frames": frames,
            "human": {str(k): v for k, v in human.items()},
        }
        if meta_a.get("narration") == outcome.request.narration:
            for key in ("action_id", "store_path", "reviewed"):
                if meta_a.get(key) is not None:
                    kept[key] = meta_a[key]
        return kept

    def _finished(self, outcome: SegmentOutcome, clip_name: str) -> None:
        req = outcome.request
        names = list(outcome.result.objects)
        kept = self._kept_work(outcome)
        reviewed = set(kept.get("reviewed", []))
        rows = ObjectRows(names, list(outcome.probs), list(outcome.gate), outcome.reasons, reviewed)
        extra = {
            "narration": req.narration,
            "source": "model",
            "checkpoint": req.model,
            "threshold": req.threshold,
            "probabilities": outcome.probs,
            "reasons": outcome.reasons,
            **kept,
        }
        tuples = role_layers(
            outcome.active, outcome.inactive, names, outcome.gate, clip_name, extra
        )
        pair = self._pair
        same = (
            pair is not None
            and pair.active.name == tuples[0][1]["name"]
            and pair.inactive.name == tuples[1][1]["name"]
            and pair.active.data.shape == outcome.active.shape
        )
        if same:

            def write() -> None:
                for layer, (_, kwargs, _) in zip((pair.active, pair.inactive), tuples, strict=True):
                    layer.colormap = kwargs["colormap"]  # the new objects get their colours
                    layer.metadata[META] = kwargs["metadata"][META]
                pair.replace(outcome.active, outcome.inactive)
                self.session.outcome = outcome
                self.publish(rows)

            self._as_step(write)
        else:
            for data, kwargs, _ in tuples:
                name = kwargs.pop("name")
                if name in self.viewer.layers:  # a clip of another size: history starts anew
                    layer = self.viewer.layers[name]
                    layer.data = data
                    layer.metadata = kwargs["metadata"]
                    layer.colormap = kwargs["colormap"]
                else:
                    self.viewer.add_labels(data, name=name, **kwargs)
            self.session.outcome = outcome
            self._follow_masks()
            self.publish(rows)
        n_active = sum(outcome.gate)
        note = ""
        if kept.get("edited_frames") or kept.get("human"):
            note = (
                f"; kept your work: {len(kept.get('edited_frames', []))} frames, "
                f"{len(kept.get('human', {}))} flags"
            )
        model = Path(req.model).name
        self.status.setText(
            f"done with {model}: {n_active} of {len(outcome.gate)} objects active{note}"
        )

    # --- undoable steps --------------------------------------------------------------------
    def _snapshot(self) -> _Snapshot:
        pair = self._pair
        return _Snapshot(
            copy.deepcopy(pair.active.metadata[META]) if pair else {},
            copy.deepcopy(pair.inactive.metadata[META]) if pair else {},
            self.rows.copy() if self.rows is not None else None,
            self.session.outcome,
            float(self.action_box.threshold.value),
        )

    def _restore(self, snap: _Snapshot) -> None:
        pair = self._pair
        if pair is not None:
            pair.active.metadata[META] = copy.deepcopy(snap.active_meta)
            pair.inactive.metadata[META] = copy.deepcopy(snap.inactive_meta)
        self.session.outcome = snap.outcome
        spin = self.action_box.threshold
        with spin.changed.blocked():
            spin.value = snap.threshold
        if snap.rows is not None:
            self.publish(snap.rows.copy())
        if snap.active_meta.get("narration"):  # an undone switch of action shows the old one
            self.action_box.narration.value = snap.active_meta["narration"]
        self._show_store_actions()

    def _as_step(self, write: Any) -> None:
        """Run ``write`` on the mask pair as one step that Ctrl-Z undoes as a whole."""
        before = self._snapshot()
        after: list[_Snapshot] = []
        self._pair.step(write, lambda: self._restore(before), lambda: self._restore(after[0]))
        after.append(self._snapshot())
        self.confidence_feed.schedule()

    def _undone(self) -> None:
        """Ctrl-Z / Ctrl-Shift-Z changed the masks: that is an edit to save."""
        self.session.edited()
        self.confidence_feed.schedule()

    # --- review ----------------------------------------------------------------------------
    def select_object(self, index: int, frame: int | None = None) -> None:
        """Select object ``index``'s label in the layer that holds it; show ``frame`` (by
        default its first frame)."""
        review_actions.select_object(self, index, frame)

    def next_frame(self) -> None:
        """Show the next frame of the clip."""
        review_actions.step_frame(self.viewer, +1)

    def previous_frame(self) -> None:
        """Show the previous frame of the clip."""
        review_actions.step_frame(self.viewer, -1)

    def toggle_selected(self) -> None:
        """Flip active/inactive for the label selected in the selected mask layer."""
        review_actions.toggle_selected(self)

    def next_to_review(self) -> int | None:
        """Select the next object to review and record it as reviewed; returns its index."""
        return review_actions.next_to_review(self)

    def _regate(self, threshold: float) -> None:
        """Apply a new θ to the last run without running the network again.

        A person's ticks, painted frames and propagations survive the change; the whole change
        is one Ctrl-Z.
        """
        outcome, pair = self.session.outcome, self._pair
        if outcome is None or pair is None:
            return
        meta = pair.active.metadata[META]
        human = {int(k): bool(v) for k, v in meta.get("human", {}).items()}
        edited = sorted(
            set(meta.get("edited_frames", []))
            | set(pair.inactive.metadata[META].get("edited_frames", []))
        )
        result = outcome.result
        active, inactive = mask_volumes(result, threshold)
        previous = (np.asarray(pair.active.data), np.asarray(pair.inactive.data))
        if outcome.frames != range(previous[0].shape[0]):  # a run on part of the clip
            active, inactive = place((active, inactive), outcome.start, previous, len(previous[0]))
        keep_propagated(active, inactive, previous, meta.get("propagated_confidence") or {})
        keep_human_edits(active, inactive, previous, edited, human)
        probs, gate, reasons = explain(
            result, active, inactive, outcome.request.narration, threshold
        )
        for index, flag in human.items():
            gate[index] = flag
            reasons[index] = [f"set {'active' if flag else 'inactive'} by you"]
        reviewed = self.rows.reviewed if self.rows is not None else set()

        def write() -> None:
            pair.replace(active, inactive)
            for layer in (pair.active, pair.inactive):
                layer.metadata[META]["threshold"] = threshold
                layer.metadata[META]["probabilities"] = probs
            self.publish(ObjectRows(list(result.objects), probs, gate, reasons, set(reviewed)))

        self._as_step(write)

    def _show_store_actions(self) -> None:
        """Offer the reopened store's actions in the picker, the shown one selected; its
        frames become the range *Run on › frame range* offers."""
        meta = self._pair.active.metadata[META] if self._pair is not None else {}
        actions = meta.get("actions") or []
        self.action_box.offer_actions(actions, meta.get("action_id"))
        shown = next((a for a in actions if a["id"] == meta.get("action_id")), None)
        if shown is not None:
            self.action_box.set_range(shown["start"], shown["end"])

    def switch_action(self, action_id: int | None) -> None:
        """Show another of the store's actions: its narration and flags over the same masks.

        The masks are the clip's (every action shares them); each object moves to the layer
        its flag in that action says. One Ctrl-Z switches back.
        """
        pair = self._pair
        meta = pair.active.metadata[META] if pair is not None else {}
        entry = next((a for a in meta.get("actions") or [] if a["id"] == action_id), None)
        if pair is None or entry is None or meta.get("action_id") == action_id:
            return
        if self.session.unsaved:
            # the picker goes back to the action on screen, once its own change has settled
            QTimer.singleShot(0, self._show_store_actions)
            self._fail(
                InputError(
                    "Save first: the flags and masks of this action hold edits that are not "
                    "saved, and switching actions would leave them behind"
                )
            )
            return
        names = list(meta["object_names"])
        merged = merge_roles(np.asarray(pair.active.data), np.asarray(pair.inactive.data))
        active, inactive = split_active(merged, entry["active"])
        rows = ObjectRows(
            names,
            list(entry["probabilities"]),
            list(entry["active"]),
            [list(r) for r in entry["reasons"]],
            set(entry["reviewed"]),
        )

        # the action on screen is saved: keep its flags as they are now for a switch back
        n = len(meta["object_names"])
        current = {
            "active": list(meta["active"]),
            "probabilities": list(meta.get("probabilities") or [None] * n),
            "reasons": copy.deepcopy(meta.get("reasons") or [[] for _ in range(n)]),
            "sources": list(meta.get("sources") or [None] * n),
            "human": dict(meta.get("human") or {}),
            "reviewed": sorted(self.rows.reviewed) if self.rows is not None else [],
        }
        actions = [
            {**a, **current} if a["id"] == meta.get("action_id") else a for a in meta["actions"]
        ]

        def write() -> None:
            pair.replace(active.astype(merged.dtype), inactive.astype(merged.dtype))
            for layer in (pair.active, pair.inactive):
                layer.metadata[META].update(
                    {k: copy.deepcopy(entry[k]) for k in ACTION_KEYS},
                    narration=entry["narration"],
                    action_id=entry["id"],
                    actions=copy.deepcopy(actions),
                )
            self.session.outcome = None  # a run's probabilities belong to its own action
            self.publish(rows)

        self._as_step(write)
        self.action_box.narration.value = entry["narration"]
        self.status.setText(
            f"action {entry['id']}: {entry['narration']} (frames {entry['start']}–"
            f"{entry['end']}), {sum(entry['active'])} of {len(names)} objects active"
        )

    def _toggle_object(self, index: int, make_active: bool) -> None:
        """Move object ``index`` between the active and inactive layers (a human decision)."""
        pair, rows = self._pair, self.rows
        if pair is None or rows is None:
            return

        def write() -> None:
            pair.move_object(index + 1, make_active)
            for layer in (pair.active, pair.inactive):
                overrides = dict(layer.metadata[META].get("human", {}))
                overrides[str(index)] = make_active
                layer.metadata[META]["human"] = overrides
            new = rows.copy()
            new.active[index] = make_active
            new.reasons[index] = [f"set {'active' if make_active else 'inactive'} by you"]
            self.publish(new)

        self._as_step(write)
        self.session.edited()

    # --- save ------------------------------------------------------------------------------
    def _painted(self, event: Any) -> None:
        """A person painted: every frame the stroke touched becomes human-verified on save."""
        if self.history.recording:
            return  # the widget's own write (toggle, re-gate, run); not a correction
        layer = event.source
        frames = frames_of_paint(event.value)
        edited = set(layer.metadata[META].get("edited_frames", [])) | frames
        layer.metadata[META]["edited_frames"] = sorted(edited)
        self.session.edited()
        self.confidence_feed.schedule()

    def _saved(self, path: str, changed: list[int], count_at_start: int) -> None:
        self.session.store_path = path
        if self.session.mark_saved(count_at_start):
            self.status.setText(f"saved to {path} ({len(changed)} frames changed)")
        else:
            self.status.setText(
                f"saved to {path} ({len(changed)} frames changed); you edited during the "
                "save, so those edits are not saved yet: Save again"
            )

    def save(self) -> Any:
        """Save the two mask layers and the flags into the label store, in a worker thread."""
        pair = self._pair
        try:
            if pair is None:
                raise ActionVOSError("there are no ActionVOS mask layers to save yet")
            path = self.store_box.target()
        except ActionVOSError as exc:
            self._fail(exc)
            return None
        # copies: the person may paint on while the worker writes
        active, inactive, meta = role_pair(
            [
                (np.array(lyr.data, copy=True), {"metadata": copy.deepcopy(lyr.metadata)}, "labels")
                for lyr in (pair.active, pair.inactive)
            ]
        )
        clip = self.clip_layer()
        if clip is not None:
            meta["clip"] = clip.metadata.get(META, {}).get("path")
        count = self.session.edit_count
        self.status.setText(f"saving to {path}…")
        self.store_box.save_button.setEnabled(False)
        worker = create_worker(
            save_action,
            path,
            active,
            inactive,
            meta,
            _start_thread=False,
            _connect={
                "returned": lambda changed: self._saved(path, changed, count),
                "errored": self._fail,
                "finished": self._save_idle,
            },
        )
        self.save_worker = worker
        worker.start()
        return worker

    # --- fine-tune -------------------------------------------------------------------------
    def _saved_store(self) -> str:
        """The label store a fine-tune learns from: saved, and holding nothing unsaved."""
        if self.session.unsaved:
            raise InputError(
                "Save first: fine-tuning learns from the label store, and the mask layers hold "
                "edits that are not saved yet"
            )
        store = self.session.store_path or self.store_box.path.text().strip()
        if not store or not (Path(store) / DATABASE_FILE).is_file():
            raise InputError(
                "there is no saved label store yet: correct the masks and flags, Save, then "
                "fine-tune on the corrections"
            )
        return store

    def finetune(self) -> Any:
        """Fine-tune the model on the saved corrections in a worker; returns the worker."""
        try:
            self._check_idle()
            store = self._saved_store()
            model = self.action_box.checkpoint.text() or LITE
            request = self.finetune_box.request(store, model)
        except ActionVOSError as exc:
            self._fail(exc)
            return None
        self._begin("ActionVOS fine-tune", f"fine-tuning {Path(model).name} on {store}…")
        self.finetune_worker = create_worker(
            run_finetune_job,
            request,
            progress=self._progress.changed.emit,
            cancel=self._cancel,
            _start_thread=False,
            _connect={
                "returned": self._finetuned,
                "errored": self._fail,
                "finished": self._finetune_idle,
            },
        )
        self.finetune_worker.start()
        return self.finetune_worker

    def _finetuned(self, result: Any) -> None:
        """Register the new version as the model to use; show its table; offer a re-run."""
        self.action_box.checkpoint.refresh()
        self.action_box.use_model(result.name)
        self.finetune_box.show_result(result)
        after, before = result.metrics_after or {}, result.metrics_before or {}
        change = ""
        if "giou" in after and "giou" in before:
            change = f"; held-out gIoU {100 * before['giou']:.1f} → {100 * after['giou']:.1f}"
        self.status.setText(
            f"fine-tuned {result.name} ({result.steps} steps){change}; it is now the model "
            "under Model: press Re-run to segment with it"
        )
        for warning in result.warnings:
            show_info(f"ActionVOS: {warning}")
        show_info(f"ActionVOS: fine-tuned version {result.name} is ready")

    def _finetune_idle(self) -> None:
        self._end()
        self.finetune_done.emit()

    def rerun(self) -> Any:
        """Run the action again with the version the last fine-tune made."""
        version = self.finetune_box.version
        if version is not None:
            self.action_box.use_model(version)
        return self.run()

    # --- propagation and confidence --------------------------------------------------------
    def _selected_index(self) -> int | None:
        """The label selected in the selected mask layer, else the table's selected object."""
        pair, rows = self._pair, self.rows
        if pair is None or rows is None:
            return None
        layer = self.viewer.layers.selection.active
        if any(same_layer(layer, lyr) for lyr in (pair.active, pair.inactive)):
            index = int(layer.selected_label) - 1
            if 0 <= index < len(rows.names):
                return index
        row = self.table.currentRow()
        return self.table.index_at(row) if row >= 0 else None

    def _model_probabilities(self, shape: tuple[int, ...]) -> Any:
        """The last run's ``probabilities(t)`` when it is of these objects and this size."""
        outcome, rows = self.session.outcome, self.rows
        if outcome is None or rows is None:
            return None
        result = outcome.result
        fits = (
            list(result.objects) == list(rows.names)
            and result.num_frames == shape[0]
            and tuple(result.frame_size) == tuple(shape[1:])
        )
        return result.probabilities if fits else None

    def propagate(self) -> Any:
        """Propagate the selected label from the current frame in a worker; returns it."""
        pair, rows, clip = self._pair, self.rows, self.clip_layer()
        try:
            self._check_idle()
            if pair is None or rows is None or clip is None:
                raise ActionVOSError("open a clip and its ActionVOS mask layers first")
            index = self._selected_index()
            if index is None:
                raise ActionVOSError("select a label in a mask layer (or an object in the table)")
            frame = int(self.viewer.dims.current_step[0])
            labels = merge_roles(np.asarray(pair.active.data), np.asarray(pair.inactive.data))
            meta = (pair.active.metadata[META], pair.inactive.metadata[META])
            human = human_frames(frame_states(*meta, labels.shape[0]))
            flows = self.session.flow_cache(clip.data)
        except ActionVOSError as exc:
            self._fail(exc)
            return None
        name = rows.names[index]
        self._begin("ActionVOS propagate", f"propagating {name} from frame {frame}…")
        self.propagate_worker = create_worker(
            propagate_object,
            clip.data,
            labels,
            index,
            frame,
            human,
            flows,
            self._model_probabilities(labels.shape),
            progress=self._progress.changed.emit,
            cancel=self._cancel,
            name=name,
            _start_thread=False,
            _connect={
                "returned": lambda result: self._propagated(result, index, pair),
                "errored": self._fail,
                "finished": self._propagate_idle,
            },
        )
        self.propagate_worker.start()
        return self.propagate_worker

    def _propagated(self, result: Any, index: int, pair: MaskPair) -> None:
        """Write a propagation into the layer holding the object, as one Ctrl-Z."""
        if pair is not self._pair or self.rows is None:
            self.status.setText("the mask layers changed while propagating; nothing was written")
            return
        a_meta, i_meta = pair.active.metadata[META], pair.inactive.metadata[META]
        n_frames = pair.active.data.shape[0]
        human = human_frames(frame_states(a_meta, i_meta, n_frames))  # a stroke meanwhile
        active, inactive, written = paste_into_layers(
            np.asarray(pair.active.data),
            np.asarray(pair.inactive.data),
            result,
            self.rows.active[index],
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
            self._as_step(write)
            self.session.edited()
        self.status.setText(describe(result, self.rows.names[index], written))

    def _propagate_idle(self) -> None:
        self._end()
        self.propagate_done.emit()

    def _confidence_job(self) -> Job | None:
        """The strip's computation and copies of what it reads (called on the UI thread)."""
        pair, rows = self._pair, self.rows
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
            self._model_probabilities(active.shape),
        )
        return strip_confidence, args, list(rows.names)

    def confidence(self) -> tuple[np.ndarray, frozenset[int]] | None:
        """The strip's ``[T, N]`` confidence (computed now if it is not current) and the
        human-verified frames; None without mask layers."""
        pair, rows = self._pair, self.rows
        if pair is None or rows is None:
            return None
        conf = self.strip.values
        n_frames = pair.active.data.shape[0]
        if (
            not self.confidence_feed.fresh
            or conf is None
            or conf.shape != (n_frames, len(rows.names))
        ):
            conf = self.confidence_feed.compute_now()
        if conf is None:
            return None
        meta = (pair.active.metadata[META], pair.inactive.metadata[META])
        return conf, human_frames(frame_states(*meta, n_frames))

    def _strip_picked(self, index: int, frame: int) -> None:
        """A click on the strip: select that object and show that frame."""
        if self.rows is None or not 0 <= index < len(self.rows.names):
            return
        self.table.selectRow(self.table.row_of(index))
        self.select_object(index, frame)

    def _frame_shown(self, event: Any = None) -> None:
        self.strip.set_frame(int(self.viewer.dims.current_step[0]))
