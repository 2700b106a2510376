"""Window size for reviewing: large enough that the objects table shows several rows.

napari opens at a size chosen for an empty canvas; with the ActionVOS panel docked, the table
was squeezed to one row. ``fit_window`` gives the main window a review size, capped by the
screen it is on, and fits the clip to the canvas that leaves: napari fitted it to the wider
canvas it had before the panel was docked, so a 640x360 frame lost a fifth of its width off
the sides.
"""

from __future__ import annotations

from typing import Any

#: width, height in pixels: canvas beside a panel that shows about eight table rows
REVIEW_SIZE = (1600, 1050)
#: the panel's width: its tables show the *Why* column and the store path without scrolling
PANEL_WIDTH = 620


def fit_window(
    viewer: Any, size: tuple[int, int] = REVIEW_SIZE, dock: Any = None
) -> tuple[int, int]:
    """Resize the viewer's main window to ``size`` (or the available screen), and the
    panel's ``dock`` to :data:`PANEL_WIDTH` when given; returns the window size."""
    window = viewer.window._qt_window
    width, height = size
    screen = window.screen()
    if screen is not None:
        free = screen.availableGeometry()
        width, height = min(width, free.width()), min(height, free.height())
    window.resize(width, height)
    if dock is not None:
        from qtpy.QtCore import Qt

        window.resizeDocks([dock], [min(PANEL_WIDTH, width // 2)], Qt.Horizontal)
    from qtpy.QtCore import QTimer

    # once the event loop has laid the window out and the canvas knows its new size
    QTimer.singleShot(0, viewer.reset_view)
    return width, height
