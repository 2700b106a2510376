"""The widget section under "Label store": the store's corrections, Store Undo / Redo, and the
EPIC-100 narration import.

Only the Qt side lives here: a table of corrections (newest first) and three buttons. What
they do is :mod:`actionvos_napari.store.history`; the work itself is
:mod:`actionvos_napari.store.history_job`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qtpy.QtCore import QTimer, Signal
from qtpy.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from actionvos_napari.store.history_job import HistoryView

COLUMNS = ("Time", "User", "Label", "Frames", "Status")


def frame_ranges(frames: Sequence[int], limit: int = 6) -> str:
    """``1–3, 7`` for frames 1, 2, 3, 7; long lists end in ``… (n frames)``."""
    runs: list[tuple[int, int]] = []
    for t in sorted(frames):
        if runs and t == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    text = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs[:limit])
    if len(runs) > limit:
        text += f", … ({len(frames)} frames)"
    return text or "–"


def short_time(stamp: str) -> str:
    """``2024-05-01 12:34:56`` from the store's ISO 8601 UTC stamp (the date and second)."""
    return stamp.replace("T", " ")[:19]


class StoreHistoryBox(QGroupBox):
    """The store's corrections and the buttons that act on the store as a whole."""

    #: emitted on the UI thread each time a read of the history has been shown
    refreshed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__("Store history", parent)
        self.view: HistoryView | None = None
        self.held = False  # a store job runs: the buttons wait for it
        self.generation = 0  # the newest read asked for; older reads that finish late are dropped
        self.worker: Any = None  # the last history read; tests wait on it
        self.pending: Any = None  # an import that found no narration of the store's video
        # typing a path or reopening a store asks for many reads; the last one counts
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(250)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(180)
        self.note = QLabel("no label store yet: Save to make one")
        self.note.setWordWrap(True)
        self.undo_button = QPushButton("Store undo")
        self.undo_button.setToolTip(
            "undo the store's newest correction (a Save) and show the masks and flags as the "
            "store then holds them; the mask layers' own Ctrl-Z history starts anew"
        )
        self.redo_button = QPushButton("Store redo")
        self.redo_button.setToolTip("re-apply the correction Store undo took back last")
        self.import_button = QPushButton("Import EPIC-100 CSV…")
        self.import_button.setToolTip(
            "add the clip's narrations from an EPIC-KITCHENS-100 CSV (EPIC_100_train.csv) to "
            "the store as actions; pick one under Store action to review its flags"
        )
        buttons = QHBoxLayout()
        for button in (self.undo_button, self.redo_button, self.import_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.set_steps(False, False)

    def schedule(self, *_args: Any) -> None:
        """Read the history again soon (after the burst of changes that asked for it)."""
        self.timer.start()

    def set_steps(self, can_undo: bool, can_redo: bool) -> None:
        self.undo_button.setEnabled(can_undo and not self.held)
        self.redo_button.setEnabled(can_redo and not self.held)

    def hold(self) -> None:
        """While a store job runs: nothing more to press until it is done."""
        self.held = True
        for button in (self.undo_button, self.redo_button, self.import_button):
            button.setEnabled(False)

    def release(self) -> None:
        self.held = False
        self._sync()

    def _sync(self) -> None:
        view = self.view
        self.import_button.setEnabled(not self.held)
        self.set_steps(bool(view and view.can_undo), bool(view and view.can_redo))

    def show_problem(self, message: str) -> None:
        """The store cannot be read (damaged, newer format): say so where the history goes."""
        self.view = None
        self.table.setRowCount(0)
        self.note.setText(f"cannot read the store's history: {message}")
        self._sync()
        self.refreshed.emit()

    def show_view(self, view: HistoryView) -> None:
        """Fill the table from a read of the store (newest correction first)."""
        self.view = view
        rows = view.corrections
        self.table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            cells = (short_time(c.time), c.user, c.label, frame_ranges(c.frames), c.status)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 2:
                    item.setToolTip("\n".join(c.summary[:20]))
                self.table.setItem(r, col, item)
        if not view.exists:
            self.note.setText("no label store yet: Save to make one")
        elif not view.total:
            self.note.setText(f"{view.path}: no corrections yet")
        elif view.total > len(rows):
            self.note.setText(f"the newest {len(rows)} of {view.total} corrections")
        else:
            self.note.setText(f"{view.total} corrections")
        self._sync()
        self.refreshed.emit()

    def labels(self) -> list[str]:
        """The label column, top (newest) first; what a test reads."""
        return [self.table.item(r, 2).text() for r in range(self.table.rowCount())]

    def statuses(self) -> list[str]:
        return [self.table.item(r, 4).text() for r in range(self.table.rowCount())]
