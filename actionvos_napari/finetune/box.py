"""The widget section that fine-tunes the model on the corrections saved in label stores.

The settings are a magicgui form that builds a :class:`actionvos.finetune.FinetuneRequest`
(as empanada-napari's widgets build a config for a Qt-free trainer); the widget runs it in a
worker. After a run the section shows the before/after table of the six ActionVOS figures
on held-out labelled frames and offers to re-run the action with the new version.
"""

from __future__ import annotations

from pathlib import Path

from magicgui.widgets import ComboBox, Container, FloatSpinBox, LineEdit, SpinBox
from qtpy.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from actionvos.errors import InputError
from actionvos.finetune import DEFAULT_PRESET, PRESET_CHOICES, FinetuneRequest, FinetuneResult
from actionvos.finetune.evaluation import FIGURES
from actionvos.finetune.presets import DECODER_FROM_CLIPS
from actionvos.finetune.replay import DEFAULT_REPLAY
from actionvos.finetune.run import DEFAULT_STEPS
from actionvos.metrics.scores import LABELS as FIGURE_NAMES

COLUMNS = ("Figure", "Before", "After", "Change")


#: The replay menu: (label, share); None: the fine-tune's default for the model.
REPLAY_CHOICES: tuple[tuple[str, float | None], ...] = (
    ("auto", None),
    ("0", 0.0),
    ("0.25", 0.25),
    ("0.5", 0.5),
)


def parse_stores(text: str) -> list[Path]:
    """Further label stores typed as a ``;``-separated list of folders."""
    stores = [Path(p.strip()).expanduser() for p in text.split(";") if p.strip()]
    missing = [str(p) for p in stores if not p.is_dir()]
    if missing:
        raise InputError(
            f"no label store at {', '.join(missing)}; type existing .actionvos folders, "
            "separated by ';'"
        )
    return stores


def metric_rows(before: dict | None, after: dict | None) -> list[tuple[str, str, str, str]]:
    """The table's rows in percentage points; n/a where a run had no held-out frames."""

    def cell(m: dict | None, k: str) -> str:
        v = None if m is None else m.get(k)
        return "n/a" if v is None else f"{100 * v:.1f}"

    rows = []
    for k in FIGURES:
        b, a = (None if m is None else m.get(k) for m in (before, after))
        change = "" if a is None or b is None else f"{100 * (a - b):+.1f}"
        rows.append((FIGURE_NAMES[k], cell(before, k), cell(after, k), change))
    return rows


class FinetuneBox(QGroupBox):
    """Preset, length and device of a fine-tune; its button; the last run's table."""

    def __init__(self, parent=None) -> None:
        super().__init__("Fine-tune on corrections", parent)
        self.preset = ComboBox(
            choices=list(PRESET_CHOICES),
            value=DEFAULT_PRESET,
            label="Preset",
            tooltip="what trains: heads (the active classifier and mask head), decoder (heads "
            "and the transformer decoder), full (everything the recipe trains); auto, the "
            f"default: decoder from {DECODER_FROM_CLIPS} corrected clips, heads below",
        )
        self.steps = SpinBox(value=DEFAULT_STEPS, min=1, max=1_000_000, label="Steps")
        self.minutes = FloatSpinBox(
            value=0.0,
            min=0.0,
            max=24 * 60.0,
            step=1.0,
            label="Minutes (0 = steps)",
            tooltip="stop after this long instead of after a number of steps",
        )
        self.replay = ComboBox(
            choices=[label for label, _ in REPLAY_CHOICES],
            value="auto",
            label="Replay",
            tooltip="share of the steps drawn from the model's own training clips, against "
            f"forgetting; auto: {DEFAULT_REPLAY} for Lite and its versions, 0 for an official "
            "checkpoint (it has none)",
        )
        self.device = ComboBox(
            choices=["auto", "cpu", "cuda"], value="auto", label="Device",
            tooltip="auto trains on CUDA (bf16) when there is a GPU, else on the CPU",
        )  # fmt: skip
        self.more_stores = LineEdit(
            label="Also train on",
            tooltip="more label stores (.actionvos folders), separated by ';'; the store of "
            "this clip is always used",
        )
        self.form = Container(
            widgets=[
                self.preset,
                self.steps,
                self.minutes,
                self.replay,
                self.device,
                self.more_stores,
            ],
            labels=True,
        )
        self.form.margins = (0, 0, 0, 0)
        self.button = QPushButton("Fine-tune on corrections")
        self.button.setToolTip(
            "train the model on the human-verified masks and flags saved in the label store; "
            "the new version is kept, listed under Model, and scored before/after"
        )
        self.rerun_button = QPushButton("Re-run with the new version")
        self.rerun_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.button)
        buttons.addWidget(self.rerun_button)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form.native)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.version: str | None = None

    def request(self, store: str | Path, model: str) -> FinetuneRequest:
        """The fine-tune of ``model`` on ``store`` (and the extra stores); InputError if bad."""
        stores = [Path(store), *parse_stores(self.more_stores.value)]
        unique = list(dict.fromkeys(p.resolve() for p in stores))
        minutes = float(self.minutes.value)
        return FinetuneRequest(
            stores=tuple(unique),
            model=model,
            preset=str(self.preset.value),
            steps=None if minutes > 0 else int(self.steps.value),
            minutes=minutes if minutes > 0 else None,
            device=str(self.device.value),
            replay=dict(REPLAY_CHOICES)[str(self.replay.value)],
        )

    def show_result(self, result: FinetuneResult) -> None:
        """The version's name and figures; the re-run button now names it."""
        self.version = result.name
        stopped = " (cancelled: the steps done so far were kept)" if result.cancelled else ""
        held = result.metrics_after is not None
        self.summary.setText(
            f"{result.name}: {result.preset}, {result.steps} steps in {result.wall_s:.0f} s"
            f"{stopped}; parent {Path(result.parent).name}. "
            + (
                "Figures on labelled frames held out of training:"
                if held
                else "No labelled frames were held out, so there are no figures."
            )
        )
        rows = metric_rows(result.metrics_before, result.metrics_after)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.setVisible(held)
        self.rerun_button.setText(f"Re-run with {result.name}")
        self.rerun_button.setEnabled(True)

    def table_text(self) -> list[list[str]]:
        """The table's cells, row by row (for tests and screenshots' captions)."""
        return [
            [self.table.item(r, c).text() for c in range(self.table.columnCount())]
            for r in range(self.table.rowCount())
        ]
