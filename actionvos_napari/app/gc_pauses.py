"""Keep Python's garbage collector from stalling the UI thread while the widget works.

Measured with ``bench/ui_latency.py``: with napari, Qt and torch loaded, one full (generation
2) collection walks every object in the process and takes about 0.3 s; whichever thread
triggers it holds the GIL meanwhile, so the UI freezes. Loading a model (imports, modules,
tensors) triggers several. The remedy is the one CPython offers for long-lived objects:

* :func:`freeze_long_lived` moves everything alive now into the collector's permanent
  generation (``gc.freeze``), so later collections walk only what was made since. A job
  calls it before it starts: the viewer, its layers and the loaded libraries are long-lived.
* :func:`loading_long_lived` loads something long-lived (a model) with collection paused,
  then freezes it too.
* :func:`thaw` undoes the freeze when long-lived objects may have died (a layer was
  removed), so their memory is reclaimed by the next collection.

These act on the whole process, as the collector is one per process; they change when
memory is scanned, never what is freed by reference counting.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_long_lived() -> None:
    """Exempt every object alive now from later collections (until :func:`thaw`)."""
    gc.freeze()


def thaw() -> None:
    """Let the collector scan the frozen objects again (some may be garbage now)."""
    gc.unfreeze()


class LoadingPause:
    """Collection paused from creation until :meth:`loaded` (or the end of its ``with``)."""

    def __init__(self) -> None:
        self._resume = gc.isenabled()
        self._open = True
        gc.disable()

    def loaded(self) -> None:
        """What was loaded is long-lived: freeze it, and collect again from now on."""
        if self._open:
            self._open = False
            gc.freeze()
            if self._resume:
                gc.enable()

    def __enter__(self) -> LoadingPause:
        return self

    def __exit__(self, *exc: object) -> None:
        self.loaded()


@contextmanager
def loading_long_lived() -> Iterator[None]:
    """Load a long-lived object without collections midway; freeze it once loaded."""
    with LoadingPause():
        yield
