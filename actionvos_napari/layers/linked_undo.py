"""One Ctrl-Z for one step, even when the step changed both mask layers.

napari keeps an undo history per Labels layer and Ctrl-Z undoes the selected layer only. A
toggle (object k moves from *inactive* to *active*) or a re-gate changes both layers and the
object's flags, so with napari alone one Ctrl-Z would leave the pair half undone. This module
binds Ctrl-Z / Ctrl-Shift-Z on the two layers and keeps, beside napari's per-layer histories,
the order of steps: a person's stroke is a step of one layer; a step the widget writes (inside
:meth:`LinkedHistory.step`, under each layer's ``block_history``) is one napari history item in
each layer it changed plus the callbacks that restore and re-apply the flags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from app_model.types import KeyCode, KeyMod

UNDO = KeyMod.CtrlCmd | KeyCode.KeyZ
REDO = KeyMod.CtrlCmd | KeyMod.Shift | KeyCode.KeyZ
StateCallback = Callable[[], None]


def same_layer(a: Any, b: Any) -> bool:
    """Identity of two layers, seeing through napari's ``PublicOnlyProxy`` (plugin widgets get
    the viewer wrapped, and each access to a layer through it makes a new proxy)."""
    return getattr(a, "__wrapped__", a) is getattr(b, "__wrapped__", b)


def _among(layer: Any, layers: list[Any]) -> bool:
    return any(same_layer(layer, lyr) for lyr in layers)


@dataclass
class _Step:
    layers: list[Any] = field(default_factory=list)  # layers holding one history item of it
    undo_state: StateCallback | None = None
    redo_state: StateCallback | None = None

    def involves(self, layer: Any) -> bool:
        return not self.layers or _among(layer, self.layers)


class LinkedHistory:
    """Step order over a set of Labels layers; ``on_change`` runs after every undo or redo."""

    def __init__(self, on_change: StateCallback | None = None) -> None:
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._recording: _Step | None = None
        self._layers: list[Any] = []
        self._on_change = on_change

    @property
    def recording(self) -> bool:
        """True while the widget itself writes a step (its paint events are not a person's)."""
        return self._recording is not None

    def watch(self, layer: Any) -> None:
        """Follow a layer's paint events and route its Ctrl-Z / Ctrl-Shift-Z through here."""
        if _among(layer, self._layers):
            return
        self._layers.append(layer)
        layer.events.paint.connect(self._painted)
        layer.bind_key(UNDO, self.undo, overwrite=True)
        layer.bind_key(REDO, self.redo, overwrite=True)

    def forget(self, layer: Any) -> None:
        """Stop following a removed layer and drop the steps it took part in."""
        if not _among(layer, self._layers):
            return
        self._layers = [lyr for lyr in self._layers if not same_layer(lyr, layer)]
        layer.events.paint.disconnect(self._painted)
        self._undo = [s for s in self._undo if not _among(layer, s.layers)]
        self._redo = [s for s in self._redo if not _among(layer, s.layers)]

    def _painted(self, event: Any) -> None:
        layer = event.source
        if self._recording is not None:
            if not _among(layer, self._recording.layers):
                self._recording.layers.append(layer)
            return
        self._undo.append(_Step([layer]))
        # napari clears a layer's redo queue on a new edit; steps in it are gone
        self._redo = [s for s in self._redo if not _among(layer, s.layers)]

    @contextmanager
    def step(
        self, layers: list[Any], undo_state: StateCallback, redo_state: StateCallback
    ) -> Iterator[None]:
        """Group everything written to ``layers`` inside into one undoable step."""
        step = _Step([], undo_state, redo_state)
        self._recording = step
        try:
            with ExitStack() as stack:
                for layer in layers:
                    stack.enter_context(layer.block_history())
                yield
        finally:
            self._recording = None
        self._undo.append(step)
        touched = step.layers
        self._redo = [s for s in self._redo if not any(_among(x, touched) for x in s.layers)]

    def undo(self, layer: Any) -> None:
        """Ctrl-Z on ``layer``: undo its newest step, in every layer that step changed."""
        self._move(layer, self._undo, self._redo, undoing=True)

    def redo(self, layer: Any) -> None:
        """Ctrl-Shift-Z on ``layer``: re-apply the newest undone step that involves it."""
        self._move(layer, self._redo, self._undo, undoing=False)

    def _move(self, layer: Any, source: list[_Step], target: list[_Step], undoing: bool) -> None:
        for i in range(len(source) - 1, -1, -1):
            if source[i].involves(layer):
                step = source.pop(i)
                break
        else:  # history from before we watched the layer: plain napari behaviour
            layer.undo() if undoing else layer.redo()
            return
        for lyr in step.layers:
            lyr.undo() if undoing else lyr.redo()
        callback = step.undo_state if undoing else step.redo_state
        if callback is not None:
            callback()
        target.append(step)
        if self._on_change is not None:
            self._on_change()
