"""The widget section where the user describes the action and picks the model."""

from __future__ import annotations

from pathlib import Path

from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FileEdit,
    FloatSpinBox,
    Label,
    LineEdit,
    SpinBox,
)
from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from actionvos.engine.device import PRECISIONS, resolve_device
from actionvos.engine.postprocess import POSITIVE_THRESHOLD
from actionvos.errors import InputError
from actionvos.registry import LITE, calibrated_threshold, list_models, selected_name
from actionvos_napari.app.session import RunRequest

CHECKPOINT_FILTER = "Checkpoints (*.pth *.pt *.safetensors);;All files (*)"
WHOLE_CLIP, CURRENT_FRAME, FRAME_RANGE = "whole clip", "current frame", "frame range"
SCOPES = (WHOLE_CLIP, CURRENT_FRAME, FRAME_RANGE)


def default_device() -> str:
    """What ``auto`` picks on this machine (CUDA, then MPS, then the CPU)."""
    return resolve_device("auto").type


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
    """The model: a name from the registry (``actionvos models``: the shipped Lite first, then
    official checkpoints and saved or fine-tuned versions), or a checkpoint file or model
    folder picked with the two browse buttons."""

    def __init__(self, placeholder: str) -> None:
        super().__init__()
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.NoInsert)
        self.edit = self.combo.lineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.refresh()
        self.file_button = QPushButton("file…")
        self.file_button.setToolTip("an official ActionVOS/ReferFormer checkpoint file")
        self.file_button.clicked.connect(self._browse_file)
        self.folder_button = QPushButton("folder…")
        self.folder_button.setToolTip("an actionvos model folder (model.safetensors + config.json)")
        self.folder_button.clicked.connect(self._browse_folder)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        for w in (self.file_button, self.folder_button):
            row.addWidget(w)

    def refresh(self) -> None:
        """Offer the registry's models by name (the text typed so far is kept); an empty row
        starts at the selected model (``actionvos models --select``), else Lite."""
        current = self.edit.text()
        self.combo.clear()
        for entry in list_models():
            self.combo.addItem(entry.name)
            self.combo.setItemData(self.combo.count() - 1, f"{entry.kind}: {entry.description}", 3)
        default = selected_name() or LITE
        if self.combo.findText(default) < 0:
            default = LITE if self.combo.findText(LITE) >= 0 else ""
        self.edit.setText(current or default)

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose a checkpoint", self.text(), CHECKPOINT_FILTER
        )
        if path:
            # our models are folders: a picked model.safetensors stands for its folder
            self.edit.setText(str(Path(path).parent) if path.endswith(".safetensors") else path)
            self.edit.editingFinished.emit()  # as if typed: the θ box follows the new model

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.text())
        if path:
            self.edit.setText(path)
            self.edit.editingFinished.emit()

    def text(self) -> str:
        return self.edit.text().strip()


class ActionBox(QGroupBox):
    """Narration, object names, model, device, the positive-gate threshold and resolution.

    The form is a magicgui ``Container``, as napari plugins commonly build theirs; each input
    is a magicgui widget (``.value``, ``.changed``). The model row is the one hand-made part:
    it must take a model folder as well as a checkpoint file, which one ``FileEdit`` cannot.
    """

    def __init__(self, parent=None) -> None:
        super().__init__("Action", parent)
        self.store_action = ComboBox(
            choices=[],
            label="Store action",
            tooltip="the actions this label store holds: pick one to review its flags (the "
            "masks are the clip's); type a new narration below to start another",
            visible=False,
        )
        self.narration = LineEdit(label="Narration", tooltip="what the hands do, e.g. cut apple")
        self.narration.native.setPlaceholderText("e.g. cut apple")
        self.objects = LineEdit(
            label="Objects", tooltip="the objects in view, comma-separated; each becomes a prompt"
        )
        self.objects.native.setPlaceholderText("e.g. knife, apple, chopping board, bowl")
        self.text_encoder = FileEdit(
            mode="d", label="Text encoder", tooltip="a local roberta-base folder (only for a .pth)"
        )
        self.device = ComboBox(
            choices=["auto", "cpu", "cuda", "mps"],
            value="auto",
            label="Device",
            tooltip="auto picks CUDA, then MPS, then the CPU",
        )
        self.precision = ComboBox(
            choices=list(PRECISIONS),
            value="auto",
            label="Precision",
            tooltip="auto: bf16 autocast where the hardware does bf16 (a CUDA GPU, a CPU with "
            "AVX512-BF16 or AMX; about twice as fast), fp32 elsewhere; fp32: the official "
            "numerics",
        )
        self.ran_on = Label(value=f"not run yet ({default_device()} when device is auto)",
                            label="Runs on")  # fmt: skip
        self.probability_layer = CheckBox(
            value=False,
            text="also show p(active) as a layer",
            tooltip="an image layer of each pixel's highest object probability, computed "
            "frame by frame as you look at it",
        )
        self.threshold = FloatSpinBox(
            value=POSITIVE_THRESHOLD,  # until the model row says what its model was tuned at
            min=0.0,
            max=1.0,
            step=0.05,
            label="Threshold θ",
            tooltip="objects whose positive probability is below θ are inactive",
        )
        self.short_side = SpinBox(
            value=0,
            min=0,
            max=2160,
            step=32,
            label="Resolution (0 = model's)",
            tooltip="frames are resized so their short side is this long (pixels); 0 uses the "
            "resolution the model was trained at (360 px for the official models, 192 px for "
            "Lite); smaller is faster on a CPU",
        )
        self.scope = ComboBox(
            choices=list(SCOPES),
            value=WHOLE_CLIP,
            label="Run on",
            tooltip="the frames to segment: the whole clip, the frame on screen, or a range "
            "(a reopened store's action fills in its own); other frames keep their masks",
        )
        self.first = SpinBox(value=0, min=0, max=10**7, label="First frame", visible=False)
        self.last = SpinBox(value=0, min=0, max=10**7, label="Last frame", visible=False)
        self.scope.changed.connect(self._scope_changed)
        self.form = Container(
            widgets=[self.store_action, self.narration, self.objects, self.scope, self.first,
                     self.last, self.text_encoder, self.device, self.precision,
                     self.ran_on,
                     self.threshold, self.short_side, self.probability_layer],
            labels=True,
        )  # fmt: skip
        self.form.margins = (0, 0, 0, 0)
        self.checkpoint = _PathRow("actionvos model folder, official .pth, or a model name")
        model_row = QFormLayout()
        model_row.setContentsMargins(0, 0, 0, 0)
        model_row.addRow("Model", self.checkpoint)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form.native)
        layout.addLayout(model_row)
        # θ follows the model: each model gates at the θ it was calibrated at (Lite's is in
        # its config.json); the user may still change it afterwards
        self.checkpoint.edit.editingFinished.connect(self._model_changed)
        self.checkpoint.combo.activated.connect(lambda _index: self._model_changed())
        self._model_changed()

    def _model_changed(self) -> None:
        name = self.checkpoint.text()
        if name:
            self.threshold.value = calibrated_threshold(name)

    def offer_actions(self, actions: list[dict], current: int | None) -> None:
        """Show the store's actions in the picker (hidden when there is none to choose)."""
        choices = [
            (f"{a['id']}: {a['narration']} (frames {a['start']}–{a['end']})", a["id"])
            for a in actions
        ]
        with self.store_action.changed.blocked():
            self.store_action.choices = choices
            if current is not None and any(v == current for _, v in choices):
                self.store_action.value = current
        self.store_action.visible = len(choices) > 1

    def use_model(self, name: str) -> None:
        """Put ``name`` in the model row and its calibrated θ in the θ box."""
        self.checkpoint.edit.setText(name)
        self._model_changed()

    def _scope_changed(self, scope: str) -> None:
        self.first.visible = self.last.visible = scope == FRAME_RANGE

    def set_range(self, first: int, last: int) -> None:
        """Offer ``first..last`` (an action's frames) as the range to run on."""
        self.first.value, self.last.value = int(first), int(last)

    def span(self, current_frame: int, n_frames: int) -> tuple[int, int] | None:
        """The frames to run on, inclusive; None for the whole clip."""
        scope = self.scope.value
        if scope == CURRENT_FRAME:
            return (int(current_frame), int(current_frame))
        if scope == FRAME_RANGE:
            first, last = int(self.first.value), int(self.last.value)
            if not 0 <= first <= last < n_frames:
                raise InputError(
                    f"the range {first}–{last} is not inside the clip (frames 0–{n_frames - 1});"
                    " set First and Last frame inside it"
                )
            return None if (first, last) == (0, n_frames - 1) else (first, last)
        return None

    def request(self, current_frame: int = 0, n_frames: int | None = None) -> RunRequest:
        """What to run, validated; raises InputError with a message for the user.

        ``current_frame`` and ``n_frames`` (the viewer's frame and the clip's length) resolve
        the *Run on* choice; without ``n_frames`` the whole clip runs.
        """
        narration = " ".join(self.narration.value.split())
        if not narration:
            raise InputError("type the action's narration first, e.g. 'cut apple'")
        checkpoint = self.checkpoint.text()
        if not checkpoint:
            raise InputError("choose a model: an actionvos model folder or an official .pth")
        encoder = str(self.text_encoder.value) if self.text_encoder.value else ""
        return RunRequest(
            narration=narration,
            objects=tuple(parse_objects(self.objects.value)),
            model=checkpoint,
            text_encoder=encoder if encoder not in ("", ".") else None,
            device=str(self.device.value),
            threshold=float(self.threshold.value),
            short_side=int(self.short_side.value) or None,
            span=None if n_frames is None else self.span(current_frame, n_frames),
            precision=str(self.precision.value),
        )
