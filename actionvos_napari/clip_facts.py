"""The widget section that shows which clip ActionVOS will work on."""

from __future__ import annotations

from typing import Any

from napari.layers import Image
from qtpy.QtWidgets import QFormLayout, QGroupBox, QLabel

from actionvos_napari.layers import META


def clip_facts(layer: Any) -> dict[str, Any] | None:
    """Facts of an Image layer: from our metadata, or from its array for foreign layers."""
    if not isinstance(layer, Image):
        return None
    meta = layer.metadata.get(META)
    if meta and meta.get("kind") == "clip":
        return meta
    shape = layer.data.shape
    rgb = bool(getattr(layer, "rgb", False))
    spatial = shape[-3:-1] if rgb else shape[-2:]
    return {
        "kind": "clip",
        "path": (layer.source.path and str(layer.source.path)) or None,
        "n_frames": int(shape[0]) if len(shape) > (3 if rgb else 2) else 1,
        "fps": None,
        "height": int(spatial[0]),
        "width": int(spatial[1]),
        "frame_names": None,
    }


class ClipFactsBox(QGroupBox):
    """Path, frame count, frame rate and size of the active clip layer."""

    def __init__(self, parent=None) -> None:
        super().__init__("Clip", parent)
        form = QFormLayout(self)
        self.layer_label = QLabel("no image layer: open a video or frame folder")
        self.path_label = QLabel("-")
        self.frames_label = QLabel("-")
        self.fps_label = QLabel("-")
        self.size_label = QLabel("-")
        self.path_label.setWordWrap(True)
        for name, w in (
            ("Layer", self.layer_label),
            ("Path", self.path_label),
            ("Frames", self.frames_label),
            ("FPS", self.fps_label),
            ("Size", self.size_label),
        ):
            form.addRow(name, w)

    def show_layer(self, layer: Any) -> None:
        facts = clip_facts(layer)
        if facts is None:
            self.layer_label.setText("no image layer: open a video or frame folder")
            for w in (self.path_label, self.frames_label, self.fps_label, self.size_label):
                w.setText("-")
            return
        self.layer_label.setText(layer.name)
        self.path_label.setText(facts["path"] or "(in memory)")
        self.frames_label.setText(str(facts["n_frames"]))
        self.fps_label.setText(f"{facts['fps']:.3g}" if facts["fps"] else "unknown")
        self.size_label.setText(f"{facts['width']} × {facts['height']}")
