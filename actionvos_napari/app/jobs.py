"""The widget's long work, one job at a time: a run, a propagation or a fine-tune.

Each job is a napari worker (``create_worker``) over a Qt-free function that takes
``progress(done, total, message)`` and ``cancel`` (a ``threading.Event``). This object owns
what they share: the Cancel button and its event, the panel's progress bar and status line,
a bar in napari's activity dock, and the buttons that must wait while a job runs. Progress
crosses from the worker thread to the UI thread through a queued Qt signal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from napari.qt.threading import create_worker
from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import QLabel, QProgressBar, QPushButton

from actionvos.errors import ActionVOSError
from actionvos_napari.app.activity import ActivityBar
from actionvos_napari.app.gc_pauses import freeze_long_lived


class Jobs(QObject):
    """Starts jobs in workers; ``progress`` is emitted (queued) by the job's callback."""

    progress = Signal(int, int, str)

    def __init__(
        self,
        bar: QProgressBar,
        status: QLabel,
        cancel_button: QPushButton,
        buttons: Callable[[], tuple[QPushButton, ...]],
        on_error: Callable[[BaseException], None],
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.bar, self.status, self.cancel_button = bar, status, cancel_button
        self._buttons, self._on_error, self._on_idle = buttons, on_error, on_idle
        self.cancel = threading.Event()
        self.worker: Any = None
        self._activity: ActivityBar | None = None
        self.progress.connect(self._show)
        cancel_button.clicked.connect(self.cancel.set)
        cancel_button.setEnabled(False)

    @property
    def busy(self) -> bool:
        return self._activity is not None

    def check_idle(self) -> None:
        """Refuse a second job while one runs (they share Cancel and the progress bar)."""
        if self.busy:
            raise ActionVOSError("wait for the running job to finish, or Cancel it")

    def start(
        self,
        title: str,
        message: str,
        work: Callable[..., Any],
        *args: Any,
        returned: Callable[[Any], None],
        finished: Callable[[], None],
        **kwargs: Any,
    ) -> Any:
        """Run ``work(*args, progress=..., cancel=..., **kwargs)`` in a worker; returns it.

        ``returned`` gets the result on the UI thread; errors go to the widget's handler;
        ``finished`` runs last, whatever happened, after the buttons are free again.
        """
        self.check_idle()
        freeze_long_lived()  # the viewer and its layers: collections now skip them
        self.cancel.clear()
        for button in self._buttons():
            button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._activity = ActivityBar(title)
        self.status.setText(message)

        def done() -> None:
            self._end()
            finished()

        self.worker = create_worker(
            work,
            *args,
            progress=self.progress.emit,
            cancel=self.cancel,
            _start_thread=False,
            _connect={"returned": returned, "errored": self._on_error, "finished": done},
            **kwargs,
        )
        self.worker.start()
        return self.worker

    def _end(self) -> None:
        for button in self._buttons():
            button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self._activity is not None:
            self._activity.close()
            self._activity = None
        if self._on_idle is not None:
            self._on_idle()  # buttons that depend on more than "no job runs"

    def _show(self, done: int, total: int, message: str) -> None:
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(done)
        self.status.setText(message)
        if self._activity is not None:
            self._activity.show(done, total, message)
