"""The table of objects after a run: probability, active flag (editable) and why.

Rows can be sorted by any column; each row remembers its object's index, so a sorted table
still toggles and selects the right object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

COLUMNS = ("Object", "p(active)", "Active", "Why")
INDEX = Qt.UserRole  # the object's index (0-based) on every cell of its row


def set_by_hand(flag: bool) -> list[str]:
    """The *Why* of a flag a person set (a tick, a reopened human flag)."""
    return [f"set {'active' if flag else 'inactive'} by you"]


@dataclass
class ObjectRows:
    """What the table shows, one entry per object (index k is label value k + 1)."""

    names: list[str]
    probs: list[float | None]
    active: list[bool]
    reasons: list[list[str]]
    reviewed: set[int] = field(default_factory=set)

    def copy(self) -> ObjectRows:
        return replace(
            self,
            names=list(self.names),
            probs=list(self.probs),
            active=list(self.active),
            reasons=[list(r) for r in self.reasons],
            reviewed=set(self.reviewed),
        )


class _SortItem(QTableWidgetItem):
    """Sorts by a numeric key when it has one (probabilities), else by text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(Qt.UserRole + 1), other.data(Qt.UserRole + 1)
        if mine is not None and theirs is not None:
            return mine < theirs
        return super().__lt__(other)


class ObjectsTable(QTableWidget):
    """One row per object. Ticking *Active* calls ``on_toggle(index, active)``."""

    def __init__(self, on_toggle: Callable[[int, bool], None], parent=None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)  # object order first
        self.setSortingEnabled(True)
        self.setMinimumHeight(250)  # about seven rows; a long panel scrolls, the table keeps them
        self._on_toggle = on_toggle
        self._filling = False
        self.itemChanged.connect(self._changed)

    def fill(self, rows: ObjectRows) -> None:
        self._filling = True
        sorting = self.isSortingEnabled()
        self.setSortingEnabled(False)  # Qt re-sorts while filling otherwise
        try:
            self.setRowCount(len(rows.names))
            for row, (name, p, a, why) in enumerate(
                zip(rows.names, rows.probs, rows.active, rows.reasons, strict=True)
            ):
                mark = " ✓" if row in rows.reviewed else ""
                self.setItem(row, 0, _cell(row, name + mark))
                self.setItem(row, 1, _cell(row, "—" if p is None else f"{p:.3f}", key=p))
                check = _cell(row, "", key=int(a))
                check.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                check.setCheckState(Qt.Checked if a else Qt.Unchecked)
                self.setItem(row, 2, check)
                self.setItem(row, 3, _cell(row, "; ".join(why)))
        finally:
            self.setSortingEnabled(sorting)
            self._filling = False
        self.resizeColumnsToContents()

    def row_of(self, index: int) -> int:
        """The table row currently showing object ``index`` (rows move when sorted)."""
        for row in range(self.rowCount()):
            if self.item(row, 0).data(INDEX) == index:
                return row
        raise IndexError(f"no row for object {index}")

    def index_at(self, row: int) -> int:
        return int(self.item(row, 0).data(INDEX))

    def is_active(self, index: int) -> bool:
        return self.item(self.row_of(index), 2).checkState() == Qt.Checked

    def reason(self, index: int) -> str:
        return self.item(self.row_of(index), 3).text()

    def check(self, index: int, active: bool) -> None:
        """Tick or untick an object's *Active* box, as a click would."""
        self.item(self.row_of(index), 2).setCheckState(Qt.Checked if active else Qt.Unchecked)

    def _changed(self, item: QTableWidgetItem) -> None:
        if not self._filling and item.column() == 2:
            self._on_toggle(int(item.data(INDEX)), item.checkState() == Qt.Checked)


def _cell(index: int, text: str, key: float | None = None) -> QTableWidgetItem:
    item = _SortItem(text)
    item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
    item.setData(INDEX, index)
    if key is not None:
        item.setData(Qt.UserRole + 1, float(key))
    return item
