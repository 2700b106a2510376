"""The table of objects after a run: probability, active flag (editable) and why."""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTableWidget, QTableWidgetItem

COLUMNS = ("Object", "p(active)", "Active", "Why")


class ObjectsTable(QTableWidget):
    """One row per object. Ticking *Active* calls ``on_toggle(index, active)``."""

    def __init__(self, on_toggle: Callable[[int, bool], None], parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setVisible(False)
        self._on_toggle = on_toggle
        self._filling = False
        self.itemChanged.connect(self._changed)

    def fill(
        self, names: list[str], probs: list[float], active: list[bool], reasons: list[list[str]]
    ) -> None:
        self._filling = True
        try:
            self.setRowCount(len(names))
            for row, (name, p, a, why) in enumerate(
                zip(names, probs, active, reasons, strict=True)
            ):
                self.setItem(row, 0, _readonly(name))
                self.setItem(row, 1, _readonly("—" if p is None else f"{p:.3f}"))
                check = QTableWidgetItem()
                check.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled)
                check.setCheckState(Qt.Checked if a else Qt.Unchecked)
                self.setItem(row, 2, check)
                self.setItem(row, 3, _readonly("; ".join(why)))
        finally:
            self._filling = False
        self.resizeColumnsToContents()

    def set_reason(self, row: int, text: str) -> None:
        self._filling = True
        try:
            self.setItem(row, 3, _readonly(text))
        finally:
            self._filling = False

    def is_active(self, row: int) -> bool:
        return self.item(row, 2).checkState() == Qt.Checked

    def _changed(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() == 2:
            self._on_toggle(item.row(), item.checkState() == Qt.Checked)


def _readonly(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
    return item
