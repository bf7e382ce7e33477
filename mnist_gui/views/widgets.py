"""Small reusable widgets: probability bars and a captioned small image view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from mnist_gui.views.qimage import to_qimage

LOW_CONFIDENCE = 0.6


LABEL_W, PCT_W, MARK_W = 22, 44, 16  # px: the digit column, the percent column, the ✓ column at the far right
MAX_ROW_H = 32.0  # px per bar row at most (a bar ~20 px thick, as at 1366×768): a tall panel does not fatten them


def bar_rows(height: float, n: int = 10) -> tuple[float, float]:
    """(top of the first row, row height) for ``n`` bar rows in ``height`` px: rows share the height up to
    ``MAX_ROW_H`` each; a taller widget keeps them that size, centred in it."""
    row_h = min(MAX_ROW_H, height / n)
    return (height - n * row_h) / 2, row_h


def bar_row_rects(width: float, y: float, row_h: float) -> tuple[QRectF, QRectF, QRectF, QRectF]:
    """One row of the bars, left to right: the digit, the bar's track, the percent (right-aligned) and the
    space kept for the true label's ✓ — kept in every row, so a mark never moves that row's percent."""
    label = QRectF(0, y, LABEL_W - 4, row_h)
    bar = QRectF(LABEL_W, y + row_h * 0.18, max(0.0, width - LABEL_W - PCT_W - MARK_W), row_h * 0.64)
    pct = QRectF(width - MARK_W - PCT_W, y, PCT_W, row_h)
    mark = QRectF(width - MARK_W, y, MARK_W, row_h)
    return label, bar, pct, mark


class ProbabilityBars(QWidget):
    """Ten horizontal bars, one per digit; the top one highlighted, the true label's marked ✓."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probs: np.ndarray | None = None
        self.true_label = -1
        self.setMinimumSize(220, 200)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_probs(self, probs: np.ndarray | None, true_label: int = -1) -> None:
        self.probs, self.true_label = probs, true_label
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.WindowText)
        track = pal.color(QPalette.AlternateBase)
        hi = pal.color(QPalette.Highlight)
        y0, row_h = bar_rows(self.height())
        top = int(self.probs.argmax()) if self.probs is not None else -1
        for d in range(10):
            label, bar, pct, mark = bar_row_rects(self.width(), y0 + d * row_h, row_h)
            p.setPen(Qt.NoPen)
            p.setBrush(track)
            p.drawRoundedRect(bar, 3, 3)
            v = float(self.probs[d]) if self.probs is not None else 0.0
            if v > 0:
                fill = QRectF(bar.x(), bar.y(), max(2.0, bar.width() * v), bar.height())
                color = QColor(hi) if d == top else QColor(hi.red(), hi.green(), hi.blue(), 110)
                p.setBrush(color)
                p.drawRoundedRect(fill, 3, 3)
            f = QFont(self.font())
            f.setBold(d in (top, self.true_label))
            p.setFont(f)
            p.setPen(text)
            p.drawText(label, Qt.AlignVCenter | Qt.AlignRight, f"{d}")
            if self.probs is not None:
                p.drawText(pct, Qt.AlignVCenter | Qt.AlignRight, f"{v:.0%}")
                if d == self.true_label:
                    p.drawText(mark, Qt.AlignCenter, "✓")
        p.end()


def gray_pixmap(a: np.ndarray, size: int, dark_ink_on_light: bool = True) -> QPixmap:
    """A float [0, 1] ink image as a pixmap scaled (nearest) to ``size`` px, shown like the canvas."""
    g = np.clip(a, 0, 1)
    if dark_ink_on_light:
        g = 1.0 - g
    return QPixmap.fromImage(to_qimage(g).scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation))


def on_square(a: np.ndarray) -> np.ndarray:
    """A non-square ink image centred on a square of its longer side, the margin left ink-free (the paper's
    colour once shown): the 20×h fitted box reads as a digit in a 20×20 box, not as a stretched thumbnail."""
    h, w = a.shape
    if h == w:
        return a
    side = max(h, w)
    out = np.zeros((side, side), np.float32)
    top, left = (side - h) // 2, (side - w) // 2
    out[top : top + h, left : left + w] = a
    return out


class ImageTile(QLabel):
    """A captioned small image (used for the raw → cropped → 28×28 model-input view); a non-square image (the
    fitted box) is shown centred on a square of paper, so every tile is filled the same way."""

    def __init__(self, caption: str, size: int = 96, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._size = size
        self.setFixedSize(size + 2, size + 2)
        self.setAlignment(Qt.AlignCenter)
        self.setFrameShape(QLabel.StyledPanel)
        self.setToolTip(caption)

    def show_array(self, a: np.ndarray | None, dark: bool) -> None:
        if a is None:
            self.clear()
            return
        self.setPixmap(gray_pixmap(on_square(np.asarray(a, np.float32)), self._size, dark_ink_on_light=not dark))
