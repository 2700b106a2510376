"""Keyboard shortcuts of the annotation loop, bound on the viewer while the widget is open.

Keys are chosen not to collide with napari's own (its Labels tools use digits, letters such as
E/P/F/L/M/X/B, ``[``/``]`` and ``-``/``=``; the File menu owns Ctrl-S), so they work while a
mask layer is selected for painting. Propagate is ``G`` (propa-G-ate): napari (0.9.2; a test
checks) binds no plain G anywhere, not in the Labels layer's keymap, not in the viewer's
(Ctrl-G is the grid) nor in another layer's, whereas the obvious P is the Labels paint brush.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shortcut:
    key: str  # napari key binding string
    label: str  # as shown in the panel
    what: str
    action: str  # name of the widget method it calls


SHORTCUTS = (
    Shortcut(".", ".", "next frame", "next_frame"),
    Shortcut(",", ",", "previous frame", "previous_frame"),
    Shortcut("N", "N", "next object to review", "next_to_review"),
    Shortcut("T", "T", "toggle active for the selected label", "toggle_selected"),
    Shortcut("G", "G", "propagate the selected label from this frame", "propagate"),
    Shortcut("Shift-R", "Shift+R", "run ActionVOS", "run"),
    Shortcut("Shift-S", "Shift+S", "save to the label store", "save"),
)


def help_text() -> str:
    """One line per shortcut, for the panel's help label and the README."""
    return "\n".join(f"{s.label:8} {s.what}" for s in SHORTCUTS)


def bind_shortcuts(viewer: Any, widget: Any) -> Callable[[], None]:
    """Bind every shortcut on ``viewer`` to ``widget``; returns the function that unbinds them."""
    handlers = {}
    for shortcut in SHORTCUTS:
        handlers[shortcut.key] = _call(getattr(widget, shortcut.action))
        viewer.bind_key(shortcut.key, handlers[shortcut.key], overwrite=True)

    def unbind() -> None:
        for key, handler in handlers.items():
            current = viewer.bind_key(key, None)
            if current is not None and current is not handler:
                viewer.bind_key(key, current)  # a newer widget's binding stays

    return unbind


def _call(method: Callable[[], Any]) -> Callable[[Any], None]:
    """napari calls a viewer binding with the viewer; the widget's methods take nothing.

    The method is held weakly, so the viewer's keymap does not keep a closed widget alive.
    """
    ref = weakref.WeakMethod(method)

    def handler(viewer: Any) -> None:
        bound = ref()
        if bound is not None:
            bound()

    handler.__doc__ = method.__doc__
    return handler
