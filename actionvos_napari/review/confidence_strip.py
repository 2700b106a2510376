"""The confidence strip under the objects table: where each object's mask may need a look.

One row per object, one column per frame, red (low) to green (high) by
:func:`actionvos.propagation.frame_confidence`, grey where nothing is known, a frame marker at
the current frame. Clicking a cell selects that object and shows that frame.

The cells are one small image (a pixel per frame and object) scaled onto the widget, so a clip
of thousands of frames draws as fast as a short one. :class:`ConfidenceFeed` computes the
values in a worker thread, debounced by a QTimer: a paint stroke, an undo or a propagation
asks for a refresh, and only the last request of a burst starts a computation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from napari.qt.threading import create_worker
from qtpy.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt, QTimer, Signal
from qtpy.QtGui import QColor, QImage, QPainter, QPen
from qtpy.QtWidgets import QSizePolicy, QToolTip, QWidget

ROW_PX = 12
NAME_PX = 72  # the names column on the left
UNKNOWN = (110, 110, 110)


def confidence_rgb(conf: np.ndarray) -> np.ndarray:
    """``uint8 [..., 3]``: red at 0, yellow at 0.5, green at 1; grey where NaN."""
    c = np.clip(np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0), 0.0, 1.0)
    red = np.where(c < 0.5, 1.0, 2.0 * (1.0 - c))
    green = np.where(c < 0.5, 2.0 * c, 1.0)
    rgb = np.stack([red, green, np.full_like(c, 0.15)], axis=-1) * 220.0
    rgb[np.isnan(np.asarray(conf, dtype=np.float64))] = UNKNOWN
    return rgb.astype(np.uint8)


class ConfidenceStrip(QWidget):
    """Draws a ``[T, N]`` confidence; ``picked(index, frame)`` is emitted on a click."""

    picked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._conf: np.ndarray | None = None  # [T, N]
        self._names: list[str] = []
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None  # keeps the QImage's buffer alive
        self._frame = 0
        self.setObjectName("actionvos_confidence_strip")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setMouseTracking(True)
        self.setToolTip("mask confidence per object and frame (red low, green high)")
        self._fit()

    # --- data --------------------------------------------------------------------------------
    @property
    def values(self) -> np.ndarray | None:
        """The confidence shown, ``float [T, N]`` (a copy), None when the strip is empty."""
        return None if self._conf is None else self._conf.copy()

    @property
    def names(self) -> list[str]:
        return list(self._names)

    def show_confidence(self, conf: np.ndarray | None, names: list[str]) -> None:
        """Show ``conf`` (``[T, N]``, rows named ``names``), or nothing when None."""
        if conf is None or np.size(conf) == 0:
            self._conf, self._names, self._image, self._pixels = None, [], None, None
        else:
            conf = np.asarray(conf, dtype=np.float64)
            self._conf, self._names = conf, list(names)
            pixels = np.ascontiguousarray(
                np.concatenate(
                    [confidence_rgb(conf.T), np.full((*conf.T.shape, 1), 255, np.uint8)], axis=-1
                )
            )
            n, t = pixels.shape[:2]
            self._pixels = pixels
            self._image = QImage(pixels.data, t, n, 4 * t, QImage.Format_RGBA8888)
        self._fit()
        self.update()

    def set_frame(self, frame: int) -> None:
        """Move the frame marker."""
        if frame != self._frame:
            self._frame = int(frame)
            self.update()

    def _fit(self) -> None:
        rows = len(self._names) if self._conf is not None else 1
        self.setFixedHeight(rows * ROW_PX + 4)

    # --- geometry ----------------------------------------------------------------------------
    def _cells(self) -> QRect:
        return QRect(NAME_PX, 2, max(self.width() - NAME_PX - 2, 1), len(self._names) * ROW_PX)

    def cell_rect(self, index: int, frame: int) -> QRect:
        """Where object ``index``'s cell of ``frame`` is drawn (tests click its centre)."""
        cells, n_frames = self._cells(), self._conf.shape[0]
        x0 = cells.left() + cells.width() * frame / n_frames
        x1 = cells.left() + cells.width() * (frame + 1) / n_frames
        left = int(np.floor(x0))
        return QRect(left, cells.top() + index * ROW_PX, max(int(np.ceil(x1)) - left, 1), ROW_PX)

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        """``(object index, frame)`` under ``pos``, None outside the cells."""
        if self._conf is None:
            return None
        cells = self._cells()
        if not cells.contains(pos):
            return None
        n_frames = self._conf.shape[0]
        frame = int((pos.x() - cells.left()) * n_frames / cells.width())
        index = (pos.y() - cells.top()) // ROW_PX
        return int(index), min(max(frame, 0), n_frames - 1)

    # --- Qt events ---------------------------------------------------------------------------
    def paintEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        try:
            if self._image is None:
                painter.setPen(self.palette().mid().color())
                painter.drawText(self.rect(), Qt.AlignCenter, "confidence: after a run")
                return
            cells = self._cells()
            painter.drawImage(QRectF(cells), self._image)  # nearest: one flat block per cell
            painter.setPen(self.palette().text().color())
            font = painter.font()
            font.setPixelSize(ROW_PX - 2)
            painter.setFont(font)
            for index, name in enumerate(self._names):
                box = QRect(0, cells.top() + index * ROW_PX, NAME_PX - 4, ROW_PX)
                shown = painter.fontMetrics().elidedText(name, Qt.ElideRight, box.width())
                painter.drawText(box, Qt.AlignRight | Qt.AlignVCenter, shown)
            if 0 <= self._frame < self._conf.shape[0]:
                marker = self.cell_rect(0, self._frame)
                marker.setHeight(cells.height())
                painter.setPen(QPen(QColor(255, 255, 255), 2))
                painter.setBrush(Qt.NoBrush)
                painter.drawRect(marker.adjusted(-1, 0, 1, 0))
        finally:
            painter.end()

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        hit = self.cell_at(event.pos()) if event.button() == Qt.LeftButton else None
        if hit is None or hit[0] >= len(self._names):
            super().mousePressEvent(event)
            return
        self.picked.emit(*hit)

    def event(self, event: Any) -> bool:
        """A tooltip names the cell: object, frame and its confidence."""
        if event.type() == QEvent.ToolTip:
            hit = self.cell_at(event.pos())
            if hit is not None and hit[0] < len(self._names):
                index, frame = hit
                value = self._conf[frame, index]
                text = "unknown" if np.isnan(value) else f"{value:.2f}"
                QToolTip.showText(
                    event.globalPos(), f"{self._names[index]}, frame {frame}: {text}", self
                )
                return True
        return super().event(event)


#: what the feed needs from the widget: (function, arguments, row names), None without masks
Job = tuple[Callable[..., np.ndarray], tuple, list[str]]


class ConfidenceFeed(QObject):
    """Keeps a :class:`ConfidenceStrip` current: debounced, computed in a worker thread.

    ``inputs()`` runs on the UI thread and returns copies of what the computation reads, so a
    stroke painted while the worker runs cannot tear its input; that stroke asks for another
    refresh, which starts when the running one returns.
    """

    #: emitted on the UI thread each time the strip shows a newly computed confidence
    updated = Signal()

    def __init__(
        self,
        strip: ConfidenceStrip,
        inputs: Callable[[], Job | None],
        errored: Callable[[BaseException], None],
        delay_ms: int = 250,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.strip = strip
        self._inputs = inputs
        self._errored = errored
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._start)
        self.worker: Any = None
        self._asked = 0  # requests so far
        self._shown = -1  # the request the strip's values answer
        self._again = False
        self.seconds: float | None = None  # the last computation's duration

    @property
    def fresh(self) -> bool:
        """True when the strip answers the newest request (nothing pending or running)."""
        return self._shown == self._asked and not self._timer.isActive()

    def schedule(self) -> None:
        """Ask for a refresh; a burst of requests within the delay starts one computation."""
        self._asked += 1
        self._timer.start()

    def compute_now(self) -> np.ndarray | None:
        """Compute on the calling (UI) thread and show it; for when a fresh value is needed
        at once (Next to review right after an edit)."""
        self._timer.stop()
        asked = self._asked
        got = self._inputs()
        if got is None:
            self._show(asked, None, [])
            return None
        function, args, names = got
        started = time.perf_counter()
        conf = function(*args)
        self.seconds = time.perf_counter() - started
        self._show(asked, conf, names)
        return conf

    def stop(self) -> None:
        """No more refreshes (the widget is closing)."""
        self._timer.stop()
        self._again = False
        if self.worker is not None:
            self.worker.quit()

    def _start(self) -> None:
        if self.worker is not None:
            self._again = True  # started again once the running one returns
            return
        asked = self._asked
        got = self._inputs()
        if got is None:
            self._show(asked, None, [])
            return
        function, args, names = got
        # bound methods, not lambdas: Qt drops the connections if the feed is deleted first
        self.worker = create_worker(
            _timed,
            (asked, names),
            function,
            *args,
            _start_thread=False,
            _connect={
                "returned": self._arrived,
                "errored": self._errored,
                "finished": self._finished,
            },
        )
        self.worker.start()

    def _arrived(self, out: tuple[tuple[int, list[str]], np.ndarray, float]) -> None:
        (asked, names), conf, self.seconds = out
        self._show(asked, conf, names)

    def _show(self, asked: int, conf: np.ndarray | None, names: list[str]) -> None:
        if asked < self._shown:
            return  # an older answer than the one on screen
        self._shown = asked
        self.strip.show_confidence(conf, names)
        self.updated.emit()

    def _finished(self) -> None:
        self.worker = None
        if self._again:
            self._again = False
            self._start()


def _timed(
    tag: Any, function: Callable[..., np.ndarray], *args: Any
) -> tuple[Any, np.ndarray, float]:
    """``tag``, ``function(*args)`` and how long that took (``ConfidenceFeed.seconds``)."""
    started = time.perf_counter()
    out = function(*args)
    return tag, out, time.perf_counter() - started
