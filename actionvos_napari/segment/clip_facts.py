"""The widget section that shows which clip ActionVOS will work on."""

from __future__ import annotations

from typing import Any

from napari.layers import Image
from qtpy.QtWidgets import QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton

from actionvos_napari.layers.convert import META


def clip_facts(layer: Any) -> dict[str, Any] | None:
    """Facts of an Image layer: from our metadata, or from its array for foreign layers."""
    if not isinstance(layer, Image):
        return None
    meta = layer.metadata.get(META)
    if meta and meta.get("kind") == "clip":
        return meta
    if meta:
        return None  # one of ours that is not a clip (the p(active) layer)
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


VIDEO_FILTER = "Videos (*.mp4 *.mov *.mkv *.avi *.webm *.m4v);;All files (*)"


class ClipFactsBox(QGroupBox):
    """Path, frame count, frame rate and size of the active clip layer; opening another.

    ``open_clip`` is called with the chosen path (the widget opens it in the viewer with this
    plugin's reader, so the clip is decoded lazily as from File › Open).
    """

    def __init__(self, parent=None, open_clip=None) -> None:  # noqa: ANN001
        super().__init__("Clip", parent)
        self._open = open_clip
        form = QFormLayout(self)
        self.open_button = QPushButton("Open clip…")
        self.open_button.setToolTip("a video file")
        self.open_button.clicked.connect(self._pick_video)
        self.folder_button = QPushButton("Open frames…")
        self.folder_button.setToolTip("a folder of frames, or an ActionVOS dataset folder")
        self.folder_button.clicked.connect(self._pick_folder)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.folder_button)
        form.addRow(row)
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

    def _pick_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a clip", "", VIDEO_FILTER)
        if path and self._open is not None:
            self._open(path)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of frames")
        if path and self._open is not None:
            self._open(path)

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
