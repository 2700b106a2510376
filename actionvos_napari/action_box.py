"""The widget section where the user describes the action and picks the model."""

from __future__ import annotations

from pathlib import Path

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
from actionvos_napari.session import RunRequest

CHECKPOINT_FILTER = "Checkpoints (*.pth *.pt *.safetensors);;All files (*)"


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
    """A line edit with browse buttons: a file, a folder, or (``model=True``) either."""

    def __init__(self, placeholder: str, *, model: bool) -> None:
        super().__init__()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        if model:
            self.file_button = QPushButton("file…")
            self.file_button.setToolTip("an official ActionVOS/ReferFormer checkpoint file")
            self.file_button.clicked.connect(self._browse_file)
            row.addWidget(self.file_button)
        self.folder_button = QPushButton("folder…")
        self.folder_button.setToolTip(
            "an actionvos model folder (model.safetensors + config.json)"
            if model
            else "a local roberta-base folder"
        )
        self.folder_button.clicked.connect(self._browse_folder)
        row.addWidget(self.folder_button)

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a checkpoint", self.text(), CHECKPOINT_FILTER
        )
        if path:
            # our models are folders: a picked model.safetensors stands for its folder
            self.edit.setText(str(Path(path).parent) if path.endswith(".safetensors") else path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.text())
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
        self.checkpoint = _PathRow(
            "actionvos model folder, official .pth, or a model name", model=True
        )
        self.text_encoder = _PathRow("roberta-base folder (only for a .pth)", model=False)
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

    def request(self) -> RunRequest:
        """What to run, validated; raises InputError with a message for the user."""
        narration = " ".join(self.narration.text().split())
        if not narration:
            raise InputError("type the action's narration first, e.g. 'cut apple'")
        checkpoint = self.checkpoint.text()
        if not checkpoint:
            raise InputError("choose a checkpoint: an actionvos model folder or an official .pth")
        return RunRequest(
            narration=narration,
            objects=tuple(parse_objects(self.objects.text())),
            model=checkpoint,
            text_encoder=self.text_encoder.text() or None,
            device=self.device.currentText(),
            threshold=float(self.threshold.value()),
            short_side=int(self.short_side.value()),
        )
