"""The drawing canvas: antialiased round strokes kept as vectors, eraser, undo/redo, an image layer.

Strokes are stored in canvas-relative coordinates (0-1), so the drawing scales with the window and is
re-rendered at a fixed resolution for the model (``render_array``), then MNIST-normalised (``to_mnist``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from mnist_gui.ml.preprocess import normalize_digit

log = logging.getLogger(__name__)

RENDER_SIZE = 168  # model-side raster: 6x MNIST, plenty for a 20x20 box, and fast


@dataclass
class Stroke:
    width: float  # fraction of the canvas side
    eraser: bool = False
    points: list[QPointF] = field(default_factory=list)


def _array_to_qimage(a: np.ndarray) -> QImage:
    """2-D float [0, 1] (ink = 1) → Grayscale8 QImage (a copy, owning its bytes)."""
    g = np.ascontiguousarray((np.clip(a, 0, 1) * 255).astype(np.uint8))
    h, w = g.shape
    return QImage(g.data, w, h, w, QImage.Format_Grayscale8).copy()


class DrawCanvas(QWidget):
    """Square drawing area; left button draws. ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawCanvas")
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(200, 200)
        self.setCursor(Qt.CrossCursor)
        # Clicking or drawing gives it the keyboard focus (and Tab reaches it): the Draw tab's keys then
        # never stay with the tab bar or a button clicked earlier.
        self.setFocusPolicy(Qt.StrongFocus)
        self.setToolTip("Draw a digit with the left mouse button")
        self.strokes: list[Stroke] = []
        self._undo: list[tuple[tuple[Stroke, ...], QImage | None]] = []
        self._redo: list[tuple[tuple[Stroke, ...], QImage | None]] = []
        self._current: Stroke | None = None
        self.brush_width = 0.06  # fraction of the side: ~MNIST's stroke width relative to its box
        self.eraser = False
        self._image: QImage | None = None  # an opened file or an MNIST digit, under the strokes
        self._dark = False

    # --- public API -------------------------------------------------------------------------------
    def _snapshot(self) -> tuple[tuple[Stroke, ...], QImage | None]:
        return tuple(self.strokes), self._image

    def _push_undo(self) -> None:
        """Remember the current state before an edit (each stroke, clear or image is one undo step)."""
        self._undo.append(self._snapshot())
        self._redo.clear()

    def _restore(self, state: tuple[tuple[Stroke, ...], QImage | None]) -> None:
        self.strokes, self._image = list(state[0]), state[1]
        self.update()
        self.changed.emit()

    def clear(self) -> None:
        if self.is_empty():
            return
        self._push_undo()
        self._restore(((), None))

    def is_empty(self) -> bool:
        return not self.strokes and self._image is None

    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._snapshot())
            self._restore(self._undo.pop())

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._snapshot())
            self._restore(self._redo.pop())

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def set_image(self, ink: np.ndarray) -> None:
        """Show a 2-D ink array (any size, ink = 1) as the drawing, replacing what was there."""
        self._push_undo()
        self._restore(((), _array_to_qimage(ink)))

    def set_strokes(self, strokes: list[Stroke]) -> None:
        """Replace the drawing with these strokes (e.g. a saved digit brought back), as one undo step."""
        self._push_undo()
        self._restore((tuple(strokes), None))

    def render_array(self, size: int = RENDER_SIZE) -> np.ndarray:
        """The drawing rasterised at ``size``×``size``: float32, ink = 1 on 0."""
        img = QImage(size, size, QImage.Format_Grayscale8)
        img.fill(0)
        p = QPainter(img)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        self._paint_content(p, float(size), QColor(255, 255, 255), QColor(0, 0, 0))
        p.end()
        bits = img.constBits()
        arr = np.frombuffer(bits, dtype=np.uint8, count=img.bytesPerLine() * size).reshape(size, img.bytesPerLine())[:, :size]
        return arr.astype(np.float32) / 255.0

    def to_mnist(self) -> np.ndarray:
        """``(28, 28)`` float32 in [0, 1], ink = 1, normalised as MNIST was."""
        return normalize_digit(self.render_array())

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    # --- internals --------------------------------------------------------------------------------
    def _side(self) -> float:
        return float(min(self.width(), self.height()))

    def _origin(self) -> QPointF:
        s = self._side()
        return QPointF((self.width() - s) / 2, (self.height() - s) / 2)

    def _to_rel(self, pos: QPointF) -> QPointF:
        o, s = self._origin(), self._side()
        return QPointF((pos.x() - o.x()) / s, (pos.y() - o.y()) / s)

    def _paint_content(self, p: QPainter, side: float, ink: QColor, paper: QColor) -> None:
        if self._image is not None:
            w, h = self._image.width(), self._image.height()
            scale = side / max(w, h)
            target = QRectF((side - w * scale) / 2, (side - h * scale) / 2, w * scale, h * scale)
            if ink.lightness() < paper.lightness():  # show ink dark on light paper
                shown = self._image.copy()
                shown.invertPixels()
                p.drawImage(target, shown)
            else:
                p.drawImage(target, self._image)
        for stroke in self.strokes + ([self._current] if self._current else []):
            pen = QPen(paper if stroke.eraser else ink, stroke.width * side, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
            p.setPen(pen)
            pts = stroke.points
            if len(pts) == 1:
                p.drawPoint(QPointF(pts[0].x() * side, pts[0].y() * side))
                continue
            path = QPainterPath(QPointF(pts[0].x() * side, pts[0].y() * side))
            for q in pts[1:]:
                path.lineTo(q.x() * side, q.y() * side)
            p.drawPath(path)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.window())
        paper = QColor(24, 25, 28) if self._dark else QColor(255, 255, 255)
        ink = QColor(240, 240, 240) if self._dark else QColor(20, 20, 20)
        side = self._side()
        p.translate(self._origin())
        p.fillRect(QRectF(0, 0, side, side), paper)
        # faint guide: MNIST's 20x20 box inside 28x28
        guide = QColor(ink)
        guide.setAlpha(40)
        p.setPen(QPen(guide, 1, Qt.DashLine))
        m = side * 4 / 28
        p.drawRect(QRectF(m, m, side - 2 * m, side - 2 * m))
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.setClipRect(QRectF(0, 0, side, side))
        self._paint_content(p, side, ink, paper)
        if self.is_empty() and self._current is None:
            hint = QColor(ink)
            hint.setAlpha(110)
            p.setPen(hint)
            p.drawText(QRectF(0, 0, side, side), Qt.AlignCenter, "Draw a digit here")
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.LeftButton:
            return
        self._current = Stroke(width=self.brush_width * (2.0 if self.eraser else 1.0), eraser=self.eraser,
                               points=[self._to_rel(event.position())])
        self.update()
        self.changed.emit()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # Track our own press state: synthetic test events may not carry buttons().
        if self._current is None:
            return
        self._current.points.append(self._to_rel(event.position()))
        self.update()
        self.changed.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.LeftButton or self._current is None:
            return
        self._current.points.append(self._to_rel(event.position()))
        stroke, self._current = self._current, None
        self._push_undo()
        self.strokes.append(stroke)
        self.update()
        self.changed.emit()

    def sizeHint(self) -> QSize:
        return QSize(420, 420)
