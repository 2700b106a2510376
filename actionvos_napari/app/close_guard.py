"""Ask before the napari window closes with edits that are not in the label store.

Only a window a person can see is guarded: scripts and tests that close a hidden viewer are
not stopped by a dialog nobody can answer.
"""

from __future__ import annotations

import weakref
from typing import Any

from qtpy.QtCore import QEvent, QObject
from qtpy.QtWidgets import QMessageBox

QUESTION = (
    "The ActionVOS mask layers hold edits that are not saved in the label store.\n\n"
    "Save them first, close without saving, or go back?"
)


class CloseGuard(QObject):
    """Event filter on the main window; a child of the widget, so it goes when the widget does.

    It holds the widget weakly: a strong reference would keep the closed viewer alive.
    """

    def __init__(self, window: Any, widget: Any) -> None:
        super().__init__(widget)
        self._widget = weakref.ref(widget)
        window.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 (Qt's name)
        widget = self._widget()
        if event.type() != QEvent.Close or widget is None:
            return False
        if not obj.isVisible() or not widget.session.unsaved:
            return False
        answer = QMessageBox.question(
            obj,
            "Unsaved ActionVOS edits",
            QUESTION,
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            QMessageBox.Save,
        )
        if answer == QMessageBox.Discard:
            return False  # close; the store keeps what was saved last
        event.ignore()
        if answer == QMessageBox.Save:
            _save_then_close(widget)
        return True


def _save_then_close(widget: Any) -> None:
    """Save in the widget's worker; close the viewer once everything is in the store."""
    if widget.save() is None:
        return  # the widget said why (no store path, ...); the window stays open

    def done() -> None:
        widget.save_done.disconnect(done)
        if not widget.session.unsaved:
            widget.viewer.close()  # napari's own close, which tears the viewer down

    widget.save_done.connect(done)
