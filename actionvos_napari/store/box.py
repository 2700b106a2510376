"""The widget section that saves the reviewed masks and flags into a label store."""

from __future__ import annotations

from qtpy.QtWidgets import QCheckBox, QFileDialog, QGroupBox, QHBoxLayout, QLineEdit, QPushButton

from actionvos.errors import InputError
from actionvos.paths import default_store_path

#: Quiet time after the last edit before an autosave: a burst of strokes is one save.
AUTOSAVE_DELAY_MS = 2000


class StoreBox(QGroupBox):
    """Store path (default: ``<clip>.actionvos`` beside the clip) and the Save button."""

    def __init__(self, parent=None) -> None:
        super().__init__("Label store", parent)
        self.path = QLineEdit()
        self.path.setPlaceholderText("folder for the label store, e.g. clip.mp4.actionvos")
        browse = QPushButton("…")
        browse.setMaximumWidth(30)
        browse.clicked.connect(self._browse)
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip(
            "save the active/inactive masks and flags; frames you painted are saved as "
            "human-verified"
        )
        self.autosave = QCheckBox("Autosave")
        self.autosave.setToolTip(
            f"save on its own {AUTOSAVE_DELAY_MS / 1000:g} s after the last edit (a stroke, a "
            "toggle, a propagation, an undo)"
        )
        row = QHBoxLayout(self)
        row.addWidget(self.path)
        row.addWidget(browse)
        row.addWidget(self.autosave)
        row.addWidget(self.save_button)

    def suggest(self, clip_path: str | None) -> None:
        """Fill in the default store path for a clip read from disk, unless one is typed."""
        if clip_path and not self.path.text():
            self.path.setText(str(default_store_path(clip_path)))

    def target(self) -> str:
        path = self.path.text().strip()
        if not path:
            raise InputError("type or choose a folder for the label store first")
        return path

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Label store folder", self.path.text())
        if path:
            self.path.setText(path)
