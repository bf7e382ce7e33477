"""Small reusable widgets: probability bars and a captioned small image view."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from mnist_gui.views.qimage import to_qimage

LOW_CONFIDENCE = 0.6


class ProbabilityBars(QWidget):
    """Ten horizontal bars, one per digit; the top one highlighted."""

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
        row_h = self.height() / 10
        label_w, pct_w = 22, 52
        top = int(self.probs.argmax()) if self.probs is not None else -1
        for d in range(10):
            y = d * row_h
            bar = QRectF(label_w, y + row_h * 0.18, self.width() - label_w - pct_w, row_h * 0.64)
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
            mark = "✓" if d == self.true_label else ""
            p.drawText(QRectF(0, y, label_w - 4, row_h), Qt.AlignVCenter | Qt.AlignRight, f"{d}")
            if self.probs is not None:
                p.drawText(QRectF(self.width() - pct_w, y, pct_w, row_h), Qt.AlignVCenter | Qt.AlignRight, f"{v:.0%}{mark}")
        p.end()


def gray_pixmap(a: np.ndarray, size: int, dark_ink_on_light: bool = True) -> QPixmap:
    """A float [0, 1] ink image as a pixmap scaled (nearest) to ``size`` px, shown like the canvas."""
    g = np.clip(a, 0, 1)
    if dark_ink_on_light:
        g = 1.0 - g
    return QPixmap.fromImage(to_qimage(g).scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation))


class ImageTile(QLabel):
    """A captioned small image (used for the raw → cropped → 28×28 model-input view)."""

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
        self.setPixmap(gray_pixmap(a, self._size, dark_ink_on_light=not dark))
