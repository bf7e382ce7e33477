"""The live test strip: 30 fixed test digits (three of each class) with the training model's current answer
under each — green when right, red when wrong — updated at every epoch end, so a person sees errors vanish.

The predictor arrives from the training thread (a numpy copy of the weights); predicting 30 images with it
takes well under a millisecond for the MLP and a few for the CNN, so it runs here on the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from mnist_gui.views.widgets import gray_pixmap

log = logging.getLogger(__name__)

N_DIGITS = 30
PER_CLASS = N_DIGITS // 10
RIGHT = QColor(40, 160, 70)
WRONG = QColor(215, 50, 50)
TILE = 30  # image side in pixels; answers go beside the strip's 30 tiles in one row at 1366 px


def strip_indices(y_test: np.ndarray, per_class: int = PER_CLASS) -> np.ndarray:
    """The first ``per_class`` test images of each digit, in digit order: fixed, so runs can be compared."""
    picks = [np.flatnonzero(y_test == d)[:per_class] for d in range(10)]
    return np.concatenate(picks).astype(int)


class LiveTestStrip(QWidget):
    __test__ = False  # not a pytest class, whatever imports it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: np.ndarray | None = None  # (30, 28, 28) uint8
        self.labels: np.ndarray | None = None
        self.answers: np.ndarray | None = None  # the latest predicted class per image, or None before any epoch
        self.epoch = -1
        self._pixmaps: list[QPixmap] = []
        self._dark = False
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setToolTip("30 fixed test digits and the training model's answer after each epoch: green right, red wrong")

    def sizeHint(self) -> QSize:
        return QSize(N_DIGITS * (TILE + 4), TILE + 40)

    def minimumSizeHint(self) -> QSize:
        return QSize(10 * (TILE + 4), TILE + 40)

    def set_data(self, x_test: np.ndarray, y_test: np.ndarray) -> None:
        idx = strip_indices(np.asarray(y_test))
        self.images, self.labels = np.asarray(x_test)[idx], np.asarray(y_test)[idx].astype(int)
        self.answers, self.epoch = None, -1
        self._render()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self._render()

    def clear_answers(self) -> None:
        self.answers, self.epoch = None, -1
        self.update()

    def update_predictor(self, epoch: int, predictor: Any) -> None:
        """Show ``predictor``'s answers (the weights at the end of ``epoch``, 0-based; -1 for the final model)."""
        if self.images is None:
            return
        try:
            probs = predictor.predict(self.images.astype(np.float32) / 255.0)
        except Exception as exc:  # a snapshot that cannot run is not worth a dialog: the run goes on
            log.warning("live test strip: %s", exc)
            return
        self.answers, self.epoch = np.argmax(probs, axis=1), epoch
        self.update()

    def correct(self) -> np.ndarray | None:
        """Per image: whether the latest answer is right (None before any)."""
        return None if self.answers is None or self.labels is None else self.answers == self.labels

    def _render(self) -> None:
        if self.images is not None:
            self._pixmaps = [gray_pixmap(im / 255.0, TILE, dark_ink_on_light=not self._dark) for im in self.images]
        self.updateGeometry()
        self.update()

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        fg = self.palette().windowText().color()
        if self.images is None:
            p.setPen(fg)
            p.drawText(self.rect(), Qt.AlignCenter, "Live test digits appear once MNIST has loaded")
            p.end()
            return
        n = len(self._pixmaps)
        step = max(TILE + 2, min(TILE + 14, (self.width() - 4) // max(1, n)))
        ok = self.correct()
        head = QFont(self.font())
        p.setFont(head)
        if ok is None:
            title = "Live test digits — answers appear at the end of each epoch"
        else:
            when = "final model" if self.epoch < 0 else f"after epoch {self.epoch + 1}"
            title = f"Live test digits ({when}): {int(ok.sum())}/{len(ok)} right"
        p.setPen(fg)
        p.drawText(QRectF(2, 0, self.width() - 4, 16), Qt.AlignLeft | Qt.AlignVCenter, title)
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        for i, pm in enumerate(self._pixmaps):
            x = 2 + i * step
            if x + TILE > self.width():
                break
            p.drawPixmap(x, 18, pm)
            if ok is not None:
                color = RIGHT if ok[i] else WRONG
                p.setPen(color)
                p.drawRect(x - 1, 17, TILE + 1, TILE + 1)
                p.drawText(QRectF(x, 18 + TILE, TILE, 20), Qt.AlignCenter, str(int(self.answers[i])))
        p.end()
