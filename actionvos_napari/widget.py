"""The "ActionVOS segment" dock widget.

The widget only arranges sections, follows the viewer's layers and starts work in threads;
each section is its own module, state lives in one :class:`Session`, and all real work happens
in the Qt-free core (:mod:`actionvos`) or in :mod:`actionvos_napari.segment.job`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import QTimer, Signal
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
from actionvos_napari.app.clip_in_view import keep_clip_in_view
from actionvos_napari.app.close_guard import CloseGuard
from actionvos_napari.app.gc_pauses import thaw
from actionvos_napari.app.jobs import Jobs
from actionvos_napari.app.session import Session
from actionvos_napari.app.shortcuts import bind_shortcuts, help_text
from actionvos_napari.finetune import actions as finetune_actions
from actionvos_napari.finetune.box import FinetuneBox
from actionvos_napari.layers.convert import META, object_features
from actionvos_napari.layers.linked_undo import LinkedHistory, same_layer
from actionvos_napari.layers.mask_pair import MaskPair
from actionvos_napari.layers.paint_frames import frames_of_paint
from actionvos_napari.propagate import actions as propagate_actions
from actionvos_napari.review import actions as review_actions
from actionvos_napari.review.confidence_strip import ConfidenceFeed, ConfidenceStrip
from actionvos_napari.segment import action_switch, run_actions
from actionvos_napari.segment.action_box import ActionBox
from actionvos_napari.segment.clip_facts import ClipFactsBox, clip_facts
from actionvos_napari.segment.job import SegmentOutcome, run_segment
from actionvos_napari.segment.objects_table import ObjectRows, ObjectsTable, set_by_hand
from actionvos_napari.store.box import AUTOSAVE_DELAY_MS, StoreBox
from actionvos_napari.store.history import connect_history, import_csv, store_step
from actionvos_napari.store.history_box import StoreHistoryBox
from actionvos_napari.store.save import role_pair, save_action

if TYPE_CHECKING:
    import napari


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
        self.save_worker: Any = None
        self._pair: MaskPair | None = None

        # the panel scrolls on a small screen instead of squeezing the table to one row
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        panel = QWidget()
        scroll.setWidget(panel)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QVBoxLayout(panel)
        self.clip_box = ClipFactsBox(self, open_clip=self.open_clip)
        self.action_box = ActionBox(self)
        self.run_button = QPushButton("Run ActionVOS")
        self.cancel_button = QPushButton("Cancel")
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
            self.strip, partial(propagate_actions.confidence_job, self), self.report, parent=self
        )
        self.store_box = StoreBox(self)
        self.history_box = StoreHistoryBox(self)
        self.finetune_box = FinetuneBox(self)
        self.jobs = Jobs(
            self.progress_bar,
            self.status,
            self.cancel_button,
            self._job_buttons,
            self.report,
            on_idle=self._sync_buttons,
        )
        self._sync_buttons()
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self._autosave_now)
        self.session.on_edit = self._edited
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
        layout.addWidget(self.history_box)
        layout.addWidget(self.finetune_box)
        keys = QLabel("Shortcuts\n" + help_text())
        keys.setObjectName("actionvos_shortcuts")
        keys.setStyleSheet("font-family: monospace; font-size: 11px")
        layout.addWidget(keys)
        self.help_label = keys
        self.destroyed.connect(bind_shortcuts(self.viewer, self))  # unbind with the widget
        self.close_guard: CloseGuard | None = None  # set when first shown in the main window
        # docking this panel narrows the canvas: the clip is fitted again if that cut it off
        self.destroyed.connect(keep_clip_in_view(self.viewer))  # stops with the widget

        self.run_button.clicked.connect(self.run)
        self.next_button.clicked.connect(self.next_to_review)
        self.propagate_button.clicked.connect(self.propagate)
        self.strip.picked.connect(partial(propagate_actions.strip_picked, self))
        self.viewer.dims.events.current_step.connect(partial(propagate_actions.frame_shown, self))
        self.table.cellClicked.connect(
            lambda row, _col: self.select_object(self.table.index_at(row))
        )
        self.store_box.save_button.clicked.connect(self.save)
        connect_history(self)
        self.finetune_box.button.clicked.connect(self.finetune)
        self.finetune_box.rerun_button.clicked.connect(self.rerun)
        self.action_box.threshold.changed.connect(self._regate)
        self.action_box.store_action.changed.connect(self.switch_action)
        layers = self.viewer.layers
        layers.selection.events.active.connect(self._refresh)
        layers.events.inserted.connect(self._refresh)
        layers.events.removed.connect(self._refresh)
        layers.events.removed.connect(lambda _event: thaw())  # its memory may be garbage now
        self._refresh()

    @property
    def worker(self) -> Any:
        """The last job's worker (a run, a propagation or a fine-tune); tests wait on it."""
        return self.jobs.worker

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
    def open_clip(self, path: str) -> None:
        """Open a video or frame folder as the clip to work on (this plugin's lazy reader)."""
        try:
            layers = self.viewer.open(path, plugin="actionvos-napari")
        except (ValueError, ActionVOSError) as exc:  # napari wraps a reader's error
            cause = exc.__cause__ if isinstance(exc.__cause__, ActionVOSError) else exc
            self.report(InputError(f"cannot open {path} as a clip: {cause}"))
            return
        if layers:
            self.viewer.layers.selection.active = layers[0]

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
        self.follow_masks()
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

    def follow_masks(self) -> None:
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
        action_switch.show_store_actions(self)
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
            self.jobs.check_idle()
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
            self.report(exc)
            return None
        return self.jobs.start(
            "ActionVOS run",
            "loading the model…",
            run_segment,
            request,
            layer.data,
            self.session.engines,
            base=run_actions.base_volumes(self._pair, request, layer.data.shape[:3]),
            returned=lambda outcome: self._finished(outcome, layer.name),
            finished=self.run_done.emit,
        )

    def _job_buttons(self) -> tuple[QPushButton, ...]:
        box = self.finetune_box
        return (self.run_button, self.propagate_button, box.button, box.rerun_button)

    def _sync_buttons(self) -> None:
        """Re-run needs a version to re-run with, besides no job running."""
        self.finetune_box.rerun_button.setEnabled(
            not self.jobs.busy and self.finetune_box.version is not None
        )

    @property
    def busy(self) -> bool:
        """A run, propagation or fine-tune is in flight (one at a time: they share Cancel)."""
        return self.jobs.busy

    def _save_idle(self) -> None:
        self.store_box.save_button.setEnabled(True)
        self.save_done.emit()

    def report(self, exc: BaseException) -> None:
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

    def _finished(self, outcome: SegmentOutcome, clip_name: str) -> None:
        run_actions.finished(self, outcome, clip_name)

    def _regate(self, threshold: float) -> None:
        run_actions.regate(self, threshold)

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
        action_switch.show_store_actions(self)

    def as_step(self, write: Any) -> None:
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
    def select_object(self, index: int, frame: int | None = None) -> bool:
        """Select object ``index``'s label in the layer that holds it; show ``frame`` (by
        default its first frame). Returns whether it has a mask on any frame."""
        return review_actions.select_object(self, index, frame)

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
            new.reasons[index] = set_by_hand(make_active)
            self.publish(new)

        self.as_step(write)
        self.session.edited()

    # --- save ------------------------------------------------------------------------------
    def _edited(self) -> None:
        if self.store_box.autosave.isChecked():
            self._autosave.start()  # restarts: saves once the edits pause

    def _autosave_now(self) -> None:
        """Save if there is something to save and a save is not running already."""
        saving = self.save_worker is not None and self.save_worker.is_running
        if not self.session.unsaved or self._pair is None:
            return
        if saving or not self.store_box.path.text().strip():
            self._autosave.start()  # try again after the running save
            return
        self.save()

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
            self.report(exc)
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
                "errored": self.report,
                "finished": self._save_idle,
            },
        )
        self.save_worker = worker
        worker.start()
        return worker

    # --- the other sections' work (modules of their own) -----------------------------------
    def switch_action(self, action_id: int | None) -> None:
        """Show another of the reopened store's actions (see ``segment.action_switch``)."""
        action_switch.switch_action(self, action_id)

    def propagate(self) -> Any:
        """Propagate the selected label from the current frame (see ``propagate.actions``)."""
        return propagate_actions.propagate(self)

    def confidence(self) -> tuple[np.ndarray, frozenset[int]] | None:
        """The strip's ``[T, N]`` confidence and the human-verified frames."""
        return propagate_actions.confidence(self)

    def finetune(self) -> Any:
        """Fine-tune on the saved corrections (see ``finetune.actions``)."""
        return finetune_actions.finetune(self)

    def rerun(self) -> Any:
        """Run the action again with the version the last fine-tune made."""
        return finetune_actions.rerun(self)

    def store_undo(self) -> Any:
        """Undo the store's newest correction, then show the store (see ``store.history``)."""
        return store_step(self, undo=True)

    def store_redo(self) -> Any:
        """Redo the correction Store undo took back last (see ``store.history``)."""
        return store_step(self, undo=False)

    def import_narrations(self) -> Any:
        """Import EPIC-100 narrations as the store's actions (see ``store.history``)."""
        return import_csv(self)
