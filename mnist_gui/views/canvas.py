"""The drawing canvas: antialiased round strokes kept as vectors, eraser, undo/redo, an image layer, and the
digits of a number (boxes with their answers drawn over the ink).

The canvas fills its pane. Strokes are stored in *square units*: 1 is the side of the centred square (the
shorter side of the widget) and (0, 0) its top-left corner, so a digit drawn in the middle stays there when
the window is resized, stored 0-1 strokes (My digits) come back in the middle, and ink left or right of the
square (x < 0 or x > 1) still counts. The model side renders the whole widget at ``RENDER_SIZE`` pixels per
unit (``render_array``) and normalises it as MNIST was (``to_mnist``), or splits it into digits first
(``digit_inputs`` / ``to_mnist_digits``, via :mod:`mnist_gui.ml.segment`).
"""

from __future__ import annotations

import logging
import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QResizeEvent, qRgb
from PySide6.QtWidgets import QSizePolicy, QWidget

from mnist_gui.ml.preprocess import InputFrame, normalize_digit, normalize_digit_frame
from mnist_gui.ml.segment import group_windows, segment_ink, segment_strokes
from mnist_gui.views.draw.items import CanvasDigit, Overlay, Shifted, Stroke
from mnist_gui.views.draw.overlay import overlay_at, paint_overlay, tag_rects
from mnist_gui.views.qimage import to_qimage

log = logging.getLogger(__name__)

RENDER_SIZE = 168  # model-side raster: 6x MNIST per square side, plenty for a 20x20 box, and fast


def _on_raster(frame: InputFrame | None, row: int, col: int) -> tuple[float, float, float, float] | None:
    """An input's frame on a crop whose top-left is raster pixel (row, col), as a frame on the raster."""
    return None if frame is None else (row + frame.top, col + frame.left, frame.step_y, frame.step_x)


class DrawCanvas(QWidget):
    """Drawing area filling its pane; the left button draws anywhere. ``changed`` fires on every edit;
    ``groupClicked(i)`` when a digit's tag is clicked (or its box right-clicked)."""

    changed = Signal()
    groupClicked = Signal(int)
    resized = Signal()  # the raster's frame moved: pictures laid over the drawing need redoing

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
        self.setToolTip("Draw a digit — or a whole number, digits side by side — with the left mouse button")
        self.strokes: list[Stroke] = []
        self._undo: list[tuple[tuple[Stroke, ...], QImage | None, np.ndarray | None]] = []
        self._redo: list[tuple[tuple[Stroke, ...], QImage | None, np.ndarray | None]] = []
        self._current: Stroke | None = None
        self.brush_width = 0.06  # fraction of the side: ~MNIST's stroke width relative to its box
        self.eraser = False
        self._image: QImage | None = None  # an opened file or an MNIST digit, under the strokes
        self._image_ink: np.ndarray | None = None  # the same as an array, split into digits at full resolution
        self._dark = False
        self.overlay: list[Overlay] = []
        self._tint: tuple[QImage, tuple[int, int, int, int]] | None = None  # saliency over the ink, on the raster
        # the model-side raster of the finished strokes, kept between renders (see render_array)
        self._cache_img: QImage | None = None
        self._cache_key: tuple[int, ...] = ()
        self._cache_strokes: tuple[Stroke, ...] = ()
        self._cache_src: QImage | None = None  # the image layer the cache was painted with
        self._last_crops: list[tuple[np.ndarray, np.ndarray, InputFrame | None]] = []  # (crop, input, frame) of the last split

    # --- public API -------------------------------------------------------------------------------
    def _snapshot(self) -> tuple[tuple[Stroke, ...], QImage | None, np.ndarray | None]:
        return tuple(self.strokes), self._image, self._image_ink

    def _push_undo(self) -> None:
        """Remember the current state before an edit (each stroke, clear or image is one undo step)."""
        self._undo.append(self._snapshot())
        self._redo.clear()

    def _restore(self, state: tuple[tuple[Stroke, ...], QImage | None, np.ndarray | None]) -> None:
        self.strokes, self._image, self._image_ink = list(state[0]), state[1], state[2]
        self.update()
        self.changed.emit()

    def clear(self) -> None:
        if self.is_empty():
            return
        self._push_undo()
        self._restore(((), None, None))

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
        a = np.clip(np.asarray(ink, dtype=np.float32), 0, 1)
        self._restore(((), to_qimage(a), a))

    def set_strokes(self, strokes: list[Stroke]) -> None:
        """Replace the drawing with these strokes (e.g. a saved digit brought back), as one undo step."""
        self._push_undo()
        self._restore((tuple(strokes), None, None))

    def set_tint(self, rgba: np.ndarray | None) -> None:
        """Colours to lay over the drawing (``render_array``'s shape + RGBA), e.g. its saliency; None removes them.
        Shown only for the raster frame they were made for: after a resize they wait for the next update."""
        self._tint = None if rgba is None else (to_qimage(rgba), self.raster_frame())
        self.update()

    def set_overlay(self, overlay: list[Overlay]) -> None:
        self.overlay = overlay
        self.update()

    def raster_frame(self, size: int = RENDER_SIZE) -> tuple[int, int, int, int]:
        """(kx, ky, width, height) in pixels of the whole-widget raster at ``size`` px per square side: the
        square's top-left sits at the integer pixel (kx, ky), so a digit rasterises as it did on the square."""
        s = self._side()
        kx = math.ceil((self.width() - s) / 2 / s * size) if s > 0 else 0
        ky = math.ceil((self.height() - s) / 2 / s * size) if s > 0 else 0
        return kx, ky, size + 2 * kx, size + 2 * ky

    def render_array(self, size: int = RENDER_SIZE) -> np.ndarray:
        """The whole drawing rasterised at ``size`` px per square side: float32, ink = 1 on 0.

        Finished strokes are painted once into a cached raster (in drawing order, as a full repaint would
        paint them, so the pixels are the same); each call paints only the strokes added since, so a number
        of many strokes costs what its last stroke costs."""
        kx, ky, w, h = self.raster_frame(size)
        key = (size, kx, ky, w, h)
        done = self._cache_strokes
        if (self._cache_img is None or self._cache_key != key or self._cache_src is not self._image or len(done) > len(self.strokes)
                or any(a is not b for a, b in zip(done, self.strokes))):
            self._cache_img = QImage(w, h, QImage.Format_Grayscale8)
            self._cache_img.fill(0)
            self._cache_key, self._cache_src, self._cache_strokes, done = key, self._image, (), ()
            self._paint_raster(self._cache_img, kx, ky, size, image=True, strokes=[])
        if len(done) < len(self.strokes):
            self._paint_raster(self._cache_img, kx, ky, size, image=False, strokes=self.strokes[len(done):])
            self._cache_strokes = tuple(self.strokes)
        img = self._cache_img
        if self._current is not None:
            img = img.copy()
            self._paint_raster(img, kx, ky, size, image=False, strokes=[self._current])
        bits = img.constBits()
        arr = np.frombuffer(bits, dtype=np.uint8, count=img.bytesPerLine() * h).reshape(h, img.bytesPerLine())[:, :w]
        return arr.astype(np.float32) / 255.0

    def _paint_raster(self, img: QImage, kx: int, ky: int, size: int, *, image: bool, strokes: list[Stroke]) -> None:
        p = QPainter(img)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.translate(kx, ky)
        self._paint_content(p, float(size), QColor(255, 255, 255), QColor(0, 0, 0), image=image, strokes=strokes)
        p.end()

    def to_mnist(self) -> np.ndarray:
        """``(28, 28)`` float32 in [0, 1], ink = 1: all the ink as one digit, normalised as MNIST was."""
        return normalize_digit(self.render_array())

    def to_mnist_digits(self) -> list[np.ndarray]:
        """One ``(28, 28)`` float32 in [0, 1] (ink = 1) per digit, in reading order; ``[]`` when blank."""
        return [d.x for d in self.digit_inputs()]

    def digit_inputs(self, raster: np.ndarray | None = None) -> list[CanvasDigit]:
        """The digits of the drawing, left to right, with their boxes and model inputs. ``raster`` is
        ``render_array()`` when the caller has it already."""
        if self.is_empty() and self._current is None:
            return []
        kx, ky, w, h = self.raster_frame()
        if not self.strokes and self._current is None and self._image_ink is not None:
            return self._image_digits()
        raster = self.render_array() if raster is None else raster
        if self._image is not None:  # strokes over an image: split the ink as an image is split
            out = []
            for d in segment_ink(raster):
                left, top, right, bottom = d.box
                box = ((left - kx) / RENDER_SIZE, (top - ky) / RENDER_SIZE, (right - kx) / RENDER_SIZE, (bottom - ky) / RENDER_SIZE)
                x, frame = normalize_digit_frame(d.crop)
                out.append(CanvasDigit(box, x, d.split, d.looks_like_two, frame=_on_raster(frame, *d.origin)))
            return out
        sx, sy = kx / RENDER_SIZE, ky / RENDER_SIZE
        shift = np.array([sx, sy])
        shifted = [Shifted(s.array() + shift, s.width, s.eraser) for s in self._all_strokes()]
        size = (w / RENDER_SIZE, h / RENDER_SIZE)
        groups = segment_strokes(shifted, size)
        windows = group_windows(raster.shape, groups, size)
        crops = [raster[r0:r1, c0:c1] for r0, r1, c0, c1 in windows]
        fitted = [self._normalized(c) for c in crops]
        self._last_crops = [(c, x, f) for c, (x, f) in zip(crops, fitted)]
        return [CanvasDigit((g.box[0] - sx, g.box[1] - sy, g.box[2] - sx, g.box[3] - sy), x, g.split, g.looks_like_two, g.strokes,
                            _on_raster(f, win[0], win[2]))
                for g, (x, f), win in zip(groups, fitted, windows)]

    def _normalized(self, crop: np.ndarray) -> tuple[np.ndarray, InputFrame | None]:
        """``normalize_digit_frame(crop)``, reused from the last update when the same pixels come again: while a
        number is drawn only the digit under the pen changes, so one digit is normalised per update, not five."""
        for old, x, frame in self._last_crops:
            if old.shape == crop.shape and np.array_equal(old, crop):
                return x, frame
        return normalize_digit_frame(crop)

    def _image_digits(self) -> list[CanvasDigit]:
        """An opened image alone: split at its own resolution, boxes mapped to where it is shown."""
        ink = self._image_ink
        assert ink is not None
        h, w = ink.shape
        scale = 1.0 / max(w, h)
        ox, oy = (1 - w * scale) / 2, (1 - h * scale) / 2
        kx, ky, _, _ = self.raster_frame()
        px = scale * RENDER_SIZE  # raster pixels per image pixel
        out = []
        for d in segment_ink(ink):
            x, f = normalize_digit_frame(d.crop)
            frame = None if f is None else (ky + (oy + (d.origin[0] + f.top) * scale) * RENDER_SIZE,
                                            kx + (ox + (d.origin[1] + f.left) * scale) * RENDER_SIZE, f.step_y * px, f.step_x * px)
            out.append(CanvasDigit((ox + d.box[0] * scale, oy + d.box[1] * scale, ox + d.box[2] * scale, oy + d.box[3] * scale),
                                   x, d.split, d.looks_like_two, frame=frame))
        return out

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    # --- internals --------------------------------------------------------------------------------
    def _all_strokes(self) -> list[Stroke]:
        return self.strokes + ([self._current] if self._current is not None else [])

    def _side(self) -> float:
        return float(min(self.width(), self.height()))

    def _origin(self) -> QPointF:
        s = self._side()
        return QPointF((self.width() - s) / 2, (self.height() - s) / 2)

    def _to_rel(self, pos: QPointF) -> QPointF:
        o, s = self._origin(), self._side()
        return QPointF((pos.x() - o.x()) / s, (pos.y() - o.y()) / s)

    def _box_rect(self, box: tuple[float, float, float, float]) -> QRectF:
        """A box in square units as widget pixels."""
        o, s = self._origin(), self._side()
        return QRectF(o.x() + box[0] * s, o.y() + box[1] * s, (box[2] - box[0]) * s, (box[3] - box[1]) * s)

    def _overlay_geometry(self) -> tuple[list[QRectF], list[QRectF]]:
        boxes = [self._box_rect(ov.box) for ov in self.overlay]
        return boxes, tag_rects(self.overlay, boxes, self.fontMetrics())

    def tag_rects(self) -> list[QRectF]:
        """Where each digit's answer tag is drawn, in widget pixels (clicking one selects the digit)."""
        return self._overlay_geometry()[1]

    def _paint_content(self, p: QPainter, side: float, ink: QColor, paper: QColor, *, image: bool = True,
                       strokes: list[Stroke] | None = None) -> None:
        """The image layer (with ``image``) and ``strokes`` (default: all, and the one being drawn)."""
        if image and self._image is not None:
            w, h = self._image.width(), self._image.height()
            scale = side / max(w, h)
            target = QRectF((side - w * scale) / 2, (side - h * scale) / 2, w * scale, h * scale)
            shown = self._image  # the model's raster (white ink on black) takes its pixels as they are
            if ink != QColor(255, 255, 255) or paper != QColor(0, 0, 0):  # on screen 0 is paper and 1 ink: no seam
                shown = self._image.copy()
                shown.reinterpretAsFormat(QImage.Format_Indexed8)
                a, b = paper.getRgb()[:3], ink.getRgb()[:3]
                shown.setColorTable([qRgb(*(x + (y - x) * v // 255 for x, y in zip(a, b))) for v in range(256)])
            p.drawImage(target, shown)
        for stroke in self._all_strokes() if strokes is None else strokes:
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
        paper = QColor(24, 25, 28) if self._dark else QColor(255, 255, 255)
        ink = QColor(240, 240, 240) if self._dark else QColor(20, 20, 20)
        p.fillRect(self.rect(), paper)
        side = self._side()
        o = self._origin()
        if not self.overlay:  # faint guide for one digit: MNIST's 20x20 box inside 28x28, in the middle
            guide = QColor(ink)
            guide.setAlpha(40)
            p.setPen(QPen(guide, 1, Qt.DashLine))
            m = side * 4 / 28
            p.drawRect(QRectF(o.x() + m, o.y() + m, side - 2 * m, side - 2 * m))
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.save()
        p.translate(o)
        self._paint_content(p, side, ink, paper)
        p.restore()
        if self.is_empty() and self._current is None:
            hint = QColor(ink)
            hint.setAlpha(110)
            p.setPen(hint)
            p.drawText(QRectF(self.rect()), Qt.AlignCenter, "Draw a digit here — or a whole number, side by side")
        self._paint_tint(p)
        self._paint_overlay(p)
        p.end()

    def _paint_tint(self, p: QPainter) -> None:
        if self._tint is None or self._current is not None:  # it would lag behind the pen, as the boxes would
            return
        img, (kx, ky, w, h) = self._tint
        if (kx, ky, w, h) != self.raster_frame():
            return
        o, k = self._origin(), self._side() / RENDER_SIZE  # widget pixels per raster pixel
        p.drawImage(QRectF(o.x() - kx * k, o.y() - ky * k, w * k, h * k), img)

    def _paint_overlay(self, p: QPainter) -> None:
        if self._current is not None:
            return  # boxes would lag behind the pen; they come back on release
        paint_overlay(p, self.overlay, *self._overlay_geometry(), dark=self._dark)

    def _overlay_at(self, pos: QPointF, boxes: bool) -> int:
        return overlay_at(pos, *self._overlay_geometry(), with_boxes=boxes)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if event.button() == Qt.RightButton:
            i = self._overlay_at(pos, boxes=True)
            if i >= 0:
                self.groupClicked.emit(i)
            return
        if event.button() != Qt.LeftButton:
            return
        i = self._overlay_at(pos, boxes=False) if len(self.overlay) > 1 else -1
        if i >= 0:  # a click on a digit's tag selects it instead of drawing
            self.groupClicked.emit(i)
            return
        self._current = Stroke(width=self.brush_width * (2.0 if self.eraser else 1.0), eraser=self.eraser,
                               points=[self._to_rel(pos)])
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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def sizeHint(self) -> QSize:
        return QSize(560, 420)
