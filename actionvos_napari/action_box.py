"""The widget section where the user describes the action and picks the model."""

from __future__ import annotations

from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from actionvos.engine.postprocess import POSITIVE_THRESHOLD
from actionvos.engine.preprocess import SHORT_SIDE
from actionvos.errors import InputError


def parse_objects(text: str) -> list[str]:
    """Object names typed as a comma- or semicolon-separated list; whitespace collapsed."""
    parts = [" ".join(p.split()) for p in text.replace(";", ",").split(",")]
    names = [p for p in parts if p]
    if not names:
        raise InputError("type at least one object name, e.g. 'knife, apple, bowl'")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"object names must be unique; repeated: {', '.join(dupes)}")
    return names


class _PathRow(QWidget):
    """A line edit with a browse button, for a file or a directory."""

    def __init__(self, placeholder: str, directory: bool) -> None:
        super().__init__()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        button = QPushButton("…")
        button.setMaximumWidth(30)
        button.clicked.connect(self._browse)
        self._directory = directory
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(button)

    def _browse(self) -> None:
        if self._directory:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder")
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, "Choose a checkpoint", "", "Checkpoints (*.pth *.pt);;All files (*)"
            )
        if path:
            self.edit.setText(path)

    def text(self) -> str:
        return self.edit.text().strip()


class ActionBox(QGroupBox):
    """Narration, object names, checkpoint, device and the positive-gate threshold."""

    def __init__(self, parent=None) -> None:
        super().__init__("Action", parent)
        form = QFormLayout(self)
        self.narration = QLineEdit()
        self.narration.setPlaceholderText("e.g. cut apple")
        self.objects = QLineEdit()
        self.objects.setPlaceholderText("e.g. knife, apple, chopping board, bowl")
        self.checkpoint = _PathRow("actionvos model folder or official .pth", directory=False)
        self.text_encoder = _PathRow("roberta-base folder (only for a .pth)", directory=True)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda", "mps"])
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(POSITIVE_THRESHOLD)
        self.threshold.setToolTip("objects whose positive probability is below θ are inactive")
        self.short_side = QSpinBox()
        self.short_side.setRange(32, 2160)
        self.short_side.setSingleStep(32)
        self.short_side.setValue(SHORT_SIDE)
        self.short_side.setSuffix(" px")
        self.short_side.setToolTip(
            f"frames are resized so their short side is this long; {SHORT_SIDE} is what the "
            "model was trained and evaluated at, smaller is faster on a CPU"
        )
        form.addRow("Narration", self.narration)
        form.addRow("Objects", self.objects)
        form.addRow("Checkpoint", self.checkpoint)
        form.addRow("Text encoder", self.text_encoder)
        form.addRow("Device", self.device)
        form.addRow("Threshold θ", self.threshold)
        form.addRow("Resolution", self.short_side)

    def request(self) -> dict:
        """What to run, validated; raises InputError with a message for the user."""
        narration = " ".join(self.narration.text().split())
        if not narration:
            raise InputError("type the action's narration first, e.g. 'cut apple'")
        checkpoint = self.checkpoint.text()
        if not checkpoint:
            raise InputError("choose a checkpoint: an actionvos model folder or an official .pth")
        return {
            "narration": narration,
            "objects": parse_objects(self.objects.text()),
            "checkpoint": checkpoint,
            "text_encoder": self.text_encoder.text() or None,
            "device": self.device.currentText(),
            "threshold": float(self.threshold.value()),
            "short_side": int(self.short_side.value()),
        }
