"""Shared test set-up: offline model libraries and a real display for napari.

napari's canvas needs OpenGL, which Qt's offscreen platform lacks; the README's test command
runs pytest under Xvfb with Mesa. GUI tests use napari's own ``make_napari_viewer`` fixture.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402


@pytest.fixture
def gui_display() -> None:
    """Fail with a clear message, not a segfault, when no X display is available."""
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "xcb":
        pytest.fail(
            "napari widget tests need an X display with OpenGL: run the suite with "
            "`xvfb-run -a python -m pytest` (see the README)"
        )
