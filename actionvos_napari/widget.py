"""The "ActionVOS segment" dock widget.

The widget only arranges sections, follows the viewer's layers and starts work in a thread;
each section is its own module and all real work happens in the Qt-free core (:mod:`actionvos`)
or in :mod:`actionvos_napari.segment_job`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np
from napari.qt.threading import create_worker
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from actionvos.errors import ActionVOSError, Cancelled
from actionvos_napari.action_box import ActionBox
from actionvos_napari.clip_facts import ClipFactsBox, clip_facts
from actionvos_napari.layers import META, role_layers
from actionvos_napari.model_output import keep_human_edits, mask_volumes
from actionvos_napari.objects_table import ObjectsTable
from actionvos_napari.segment_job import SegmentOutcome, explain, run_segment
from actionvos_napari.store_box import StoreBox
from actionvos_napari.store_io import role_pair, save_action

if TYPE_CHECKING:
    import napari


class _Progress(QObject):
    """Carries progress from the worker thread to the UI thread (queued signal)."""

    changed = Signal(int, int, str)


class SegmentWidget(QWidget):
    """Dock widget: pick a clip, describe the action, run ActionVOS, review, save."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.outcome: SegmentOutcome | None = None
        self.worker: Any = None
        self._cancel = threading.Event()
        self._progress = _Progress()
        self._progress.changed.connect(self._show_progress)

        layout = QVBoxLayout(self)
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
        self.store_box = StoreBox(self)
        self._watched: set[int] = set()
        for w in (self.clip_box, self.action_box):
            layout.addWidget(w)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        layout.addWidget(self.store_box)

        self.run_button.clicked.connect(self.run)
        self.store_box.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self._cancel.set)
        self.action_box.threshold.valueChanged.connect(self._regate)
        layers = self.viewer.layers
        layers.selection.events.active.connect(self._refresh)
        layers.events.inserted.connect(self._refresh)
        layers.events.removed.connect(self._refresh)
        self._refresh()

    # --- clip ------------------------------------------------------------------------------
    def clip_layer(self) -> Any:
        """The clip to work on: the selected image layer, else the top-most image layer."""
        active = self.viewer.layers.selection.active
        if clip_facts(active) is not None:
            return active
        for layer in reversed(self.viewer.layers):
            if clip_facts(layer) is not None:
                return layer
        return None

    def _refresh(self, event: Any = None) -> None:
        layer = self.clip_layer()
        self.clip_box.show_layer(layer)
        meta = layer.metadata.get(META, {}) if layer is not None else {}
        self.store_box.suggest(meta.get("path"))
        self._watch_edits()
        if meta.get("narration") and not self.action_box.narration.text():
            self.action_box.narration.setText(meta["narration"])
        if meta.get("objects") and not self.action_box.objects.text():
            self.action_box.objects.setText(", ".join(meta["objects"]))
        if self.outcome is None:
            self._show_labels()

    def _show_labels(self) -> None:
        """Fill the table from mask layers that arrived with labels (sample, dataset)."""
        layer = self._mask_layer("active")
        if layer is None:
            return
        meta = layer.metadata[META]
        names, active = meta["object_names"], meta["active"]
        reasons = meta.get("reasons") or [[meta.get("source", "loaded")] for _ in names]
        probs = meta.get("probabilities") or [None] * len(names)
        self.table.fill(names, probs, active, reasons)

    # --- run -------------------------------------------------------------------------------
    def run(self) -> Any:
        """Start a run in a worker thread; returns the worker (tests wait on it)."""
        layer = self.clip_layer()
        try:
            if layer is None:
                raise ActionVOSError("open a clip first (File › Open, or a sample)")
            request = self.action_box.request()
            if self._unsaved_edits():
                raise ActionVOSError(
                    "the mask layers hold edits that are not saved; Save them to the label "
                    "store first, or delete the two mask layers to discard them"
                )
        except ActionVOSError as exc:
            self._fail(exc)
            return None
        self._cancel.clear()
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("loading the model…")
        self.worker = create_worker(
            run_segment,
            request,
            layer.data,
            progress=self._progress.changed.emit,
            cancel=self._cancel,
            _start_thread=False,
            _connect={
                "returned": lambda outcome: self._finished(outcome, layer.name),
                "errored": self._fail,
                "finished": self._idle,
            },
        )
        self.worker.start()
        return self.worker

    def _show_progress(self, done: int, total: int, message: str) -> None:
        self.progress_bar.setMaximum(max(total, 1))
        self.progress_bar.setValue(done)
        self.status.setText(message)

    def _idle(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.status.setText("cancelled; nothing was changed")
            show_info("ActionVOS run cancelled")
            return
        self.status.setText(f"error: {exc}")
        show_error(f"ActionVOS: {exc}")

    def _finished(self, outcome: SegmentOutcome, clip_name: str) -> None:
        self.outcome = outcome
        req = outcome.request
        extra = {
            "narration": req["narration"],
            "source": "model",
            "checkpoint": req["checkpoint"],
            "threshold": req["threshold"],
            "probabilities": outcome.probs,
        }
        for data, kwargs, _ in role_layers(
            outcome.active, outcome.inactive, outcome.result.objects, outcome.gate, clip_name, extra
        ):
            name = kwargs.pop("name")
            if name in self.viewer.layers:
                self.viewer.layers[name].data = data
                self.viewer.layers[name].metadata = kwargs["metadata"]
            else:
                self.viewer.add_labels(data, name=name, **kwargs)
        self.table.fill(outcome.result.objects, outcome.probs, outcome.gate, outcome.reasons)
        n_active = sum(outcome.gate)
        self.status.setText(f"done: {n_active} of {len(outcome.gate)} objects active")

    # --- review ----------------------------------------------------------------------------
    def _mask_layer(self, role: str) -> Any:
        for layer in self.viewer.layers:
            meta = layer.metadata.get(META, {})
            if meta.get("kind") == "masks" and meta.get("role") == role:
                return layer
        return None

    def _regate(self, threshold: float) -> None:
        """Apply a new θ to the last run without running the network again.

        A person's ticks and painted frames survive the change.
        """
        if self.outcome is None:
            return
        act, inact = self._mask_layer("active"), self._mask_layer("inactive")
        meta = act.metadata[META] if act is not None else {}
        human = {int(k): bool(v) for k, v in meta.get("human", {}).items()}
        edited = sorted(
            set(meta.get("edited_frames", []))
            | set(inact.metadata[META].get("edited_frames", []) if inact is not None else [])
        )
        result = self.outcome.result
        active, inactive = mask_volumes(result, threshold)
        if act is not None and inact is not None:
            previous = (np.asarray(act.data), np.asarray(inact.data))
            keep_human_edits(active, inactive, previous, edited, human)
        probs, gate, reasons = explain(
            result, active, inactive, self.outcome.request["narration"], threshold
        )
        for index, flag in human.items():
            gate[index] = flag
            reasons[index] = [f"set {'active' if flag else 'inactive'} by you"]
        self.outcome.request["threshold"] = threshold
        self.outcome.active, self.outcome.inactive = active, inactive
        self.outcome.gate, self.outcome.reasons = gate, reasons
        for layer, data in ((act, active), (inact, inactive)):
            if layer is not None:
                layer.data = data
                layer.metadata[META]["active"] = list(gate)
                layer.metadata[META]["threshold"] = threshold
        self.table.fill(result.objects, probs, gate, reasons)

    def _toggle_object(self, index: int, make_active: bool) -> None:
        """Move object ``index`` between the active and inactive layers (a human decision)."""
        act, inact = self._mask_layer("active"), self._mask_layer("inactive")
        if act is None or inact is None:
            return
        k = index + 1
        src, dst = (inact, act) if make_active else (act, inact)
        where = np.asarray(src.data) == k
        dst.data[where] = k
        src.data[where] = 0
        for layer in (act, inact):
            flags = list(layer.metadata[META]["active"])
            flags[index] = make_active
            layer.metadata[META]["active"] = flags
            overrides = dict(layer.metadata[META].get("human", {}))
            overrides[str(index)] = make_active
            layer.metadata[META]["human"] = overrides
            layer.metadata[META]["unsaved"] = True
            layer.refresh()
        self.table.set_reason(index, f"set {'active' if make_active else 'inactive'} by you")

    # --- save ------------------------------------------------------------------------------
    def _watch_edits(self) -> None:
        """Remember which frames a person paints in the mask layers (saved as verified)."""
        for role in ("active", "inactive"):
            layer = self._mask_layer(role)
            if layer is not None and id(layer) not in self._watched:
                self._watched.add(id(layer))
                layer.events.paint.connect(lambda event, lyr=layer: self._painted(lyr))

    def _painted(self, layer: Any) -> None:
        frame = int(self.viewer.dims.current_step[0])
        edited = set(layer.metadata[META].get("edited_frames", []))
        edited.add(frame)
        layer.metadata[META]["edited_frames"] = sorted(edited)
        layer.metadata[META]["unsaved"] = True

    def _unsaved_edits(self) -> bool:
        layers = (self._mask_layer("active"), self._mask_layer("inactive"))
        return any(lyr is not None and lyr.metadata[META].get("unsaved") for lyr in layers)

    def _saved(self, path: str, changed: list[int]) -> None:
        for role in ("active", "inactive"):
            layer = self._mask_layer(role)
            if layer is not None:
                layer.metadata[META]["unsaved"] = False
        self.status.setText(f"saved to {path} ({len(changed)} frames changed)")

    def save(self) -> Any:
        """Save the two mask layers and the flags into the label store, in a worker thread."""
        act, inact = self._mask_layer("active"), self._mask_layer("inactive")
        try:
            if act is None or inact is None:
                raise ActionVOSError("there are no ActionVOS mask layers to save yet")
            path = self.store_box.target()
        except ActionVOSError as exc:
            self._fail(exc)
            return None
        active, inactive, meta = role_pair(
            [(np.asarray(lyr.data), {"metadata": lyr.metadata}, "labels") for lyr in (act, inact)]
        )
        clip = self.clip_layer()
        if clip is not None:
            meta["clip"] = clip.metadata.get(META, {}).get("path")
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
                "returned": lambda changed: self._saved(path, changed),
                "errored": self._fail,
                "finished": lambda: self.store_box.save_button.setEnabled(True),
            },
        )
        self.save_worker = worker
        worker.start()
        return worker
