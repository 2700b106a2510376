"""The "ActionVOS segment" dock widget.

The widget only arranges sections and follows the viewer's layers; each section is its own
module and all real work happens in the Qt-free core (:mod:`actionvos`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qtpy.QtWidgets import QVBoxLayout, QWidget

from actionvos_napari.clip_facts import ClipFactsBox, clip_facts

if TYPE_CHECKING:
    import napari


class SegmentWidget(QWidget):
    """Dock widget: pick a clip, describe the action, run ActionVOS, review, save."""

    def __init__(self, napari_viewer: napari.viewer.Viewer) -> None:
        super().__init__()
        self.viewer = napari_viewer
        layout = QVBoxLayout(self)
        self.clip_box = ClipFactsBox(self)
        layout.addWidget(self.clip_box)
        layout.addStretch(1)
        events = self.viewer.layers
        events.selection.events.active.connect(self._refresh)
        events.events.inserted.connect(self._refresh)
        events.events.removed.connect(self._refresh)
        self._refresh()

    def clip_layer(self) -> Any:
        """The clip to work on: the selected image layer, else the top-most image layer."""
        active = self.viewer.layers.selection.active
        if clip_facts(active) is not None:
            return active
        for layer in reversed(self.viewer.layers):
            if clip_facts(layer) is not None:
                return layer
        return None

    def _refresh(self, event: Any = None) -> None:
        self.clip_box.show_layer(self.clip_layer())
