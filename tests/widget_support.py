"""Shared pieces of the widget tests: a tiny real model and the docked widget.

The model is the reference fixture's architecture with deterministic random weights and a
small byte-level BPE tokenizer, so runs are real (threaded, with progress) but their masks
mean nothing; tests pick θ so that objects are active and assert the active layer is not empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from actionvos.checkpoints import save
from actionvos.checkpoints.recipe import apply_recipe
from actionvos.engine.prompts import build_prompts
from actionvos.engine.tokenizer import build_byte_bpe_tokenizer
from actionvos.network import ActionVOSNet, ModelConfig

DATA = Path(__file__).parent / "data"
OBJECTS = ["knife", "apple", "bowl", "cup", "spoon"]


def tiny_model(folder: Path, objects: list[str] = OBJECTS, narration: str = "cut apple") -> Path:
    """Save the tiny model with a tokenizer that covers ``objects`` into ``folder``."""
    meta = json.loads((DATA / "fixture_r50.json").read_text())
    net = ActionVOSNet(
        ModelConfig.from_referformer_args(meta["model_args_relevant"], meta["text_config"])
    )
    apply_recipe(net, meta["init_recipe"].get("overrides_after_recipe"))
    out = save(net, None, folder)
    corpus = build_prompts(objects, narration) * 5
    build_byte_bpe_tokenizer(out / "tokenizer", corpus, vocab_size=400)
    return out


def dock(viewer):
    """Open the plugin's dock widget the way the Plugins menu does."""
    _, widget = viewer.window.add_plugin_dock_widget("actionvos-napari", "ActionVOS segment")
    return widget


def fill_action(widget, model_dir: Path, narration: str, objects: str, threshold: float) -> None:
    """Type the action for a quick CPU run at 48 px."""
    box = widget.action_box
    box.narration.value = narration
    box.objects.value = objects
    box.checkpoint.edit.setText(str(model_dir))
    box.device.value = "cpu"
    box.short_side.value = 48
    box.threshold.value = threshold


def run_and_wait(widget, qtbot, timeout_ms: int = 120_000):
    """Press Run and wait for the worker; fails with the widget's status when nothing ran."""
    worker = widget.run()
    assert worker is not None, widget.status.text()
    with qtbot.waitSignal(worker.finished, timeout=timeout_ms):
        pass
    return worker


def random_clip(n_frames: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (n_frames, 48, 64, 3), dtype=np.uint8)


def ctrl_z(viewer, layer, qtbot, shift: bool = False) -> None:
    """Press Ctrl-Z (Ctrl-Shift-Z) on the canvas with ``layer`` selected, as a person would."""
    from qtpy.QtCore import Qt

    viewer.layers.selection.active = layer
    mods = Qt.ControlModifier | (Qt.ShiftModifier if shift else Qt.NoModifier)
    canvas = viewer.window._qt_viewer.canvas.native
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key_Z, mods)
