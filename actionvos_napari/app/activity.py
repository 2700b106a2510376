"""A job's progress in napari's activity dock (bottom right of the window), beside the panel's
own bar, so a run or a fine-tune stays visible when the panel is scrolled or hidden.

Updated on the UI thread only (the widget's queued progress signal calls it): napari's
progress objects drive Qt widgets.
"""

from __future__ import annotations

from napari.utils import progress


class ActivityBar:
    """One napari progress bar per job: opened on the first report, closed at the end."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._bar: progress | None = None

    def show(self, done: int, total: int, message: str) -> None:
        """Report ``done`` of ``total`` (0: unknown) with ``message``."""
        if self._bar is None:
            self._bar = progress(total=max(total, 0), desc=self.title)
        bar = self._bar
        if bar.total != max(total, 0):
            bar.total = max(total, 0)
        if done != bar.n:
            bar.n = 0
            bar.update(max(done, 0))
        bar.set_description(f"{self.title}: {message}" if message else self.title)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @property
    def open(self) -> bool:
        return self._bar is not None
