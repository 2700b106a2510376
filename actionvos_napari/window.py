"""Window size for reviewing: large enough that the objects table shows several rows.

napari opens at a size chosen for an empty canvas; with the ActionVOS panel docked, the table
was squeezed to one row. ``fit_window`` gives the main window a review size, capped by the
screen it is on.
"""

from __future__ import annotations

from typing import Any

#: width, height in pixels: canvas beside a panel that shows about eight table rows
REVIEW_SIZE = (1600, 1050)


def fit_window(viewer: Any, size: tuple[int, int] = REVIEW_SIZE) -> tuple[int, int]:
    """Resize the viewer's main window to ``size`` (or the available screen); returns it."""
    window = viewer.window._qt_window
    width, height = size
    screen = window.screen()
    if screen is not None:
        free = screen.availableGeometry()
        width, height = min(width, free.width()), min(height, free.height())
    window.resize(width, height)
    return width, height
