"""The live test strip: 30 fixed test digits (three of each class) with the training model's current answer
under each — green when right, red when wrong — updated at every epoch end, so a person sees errors vanish.

The predictor arrives from the training thread (a numpy copy of the weights); predicting 30 images with it
takes well under a millisecond for the MLP and a few for the CNN, so it runs here on the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from mnist_gui.views.widgets import gray_pixmap

log = logging.getLogger(__name__)

N_DIGITS = 30
PER_CLASS = N_DIGITS // 10
RIGHT = QColor(40, 160, 70)
WRONG = QColor(215, 50, 50)
TILE = 30  # the largest tile side in pixels (25 puts all 30 in one row at 1366 px)
MIN_TILE = 22  # smaller digits are hard to read: a narrower strip wraps into more rows instead
GAP = 3  # px between neighbouring tiles' 1 px frames, so each frame reads as its own
PAD = 1  # px of paper between a tile's edge and its digit, so strokes never touch the frame
MAX_STEP = TILE + 14  # tile origin to tile origin, at most (a wide strip does not spread its tiles out further)
HEAD = 18  # the title line above the tiles
ANSWER = 22  # below each tile: its answer (20 px) and the gap to the next row


def strip_layout(width: int, n: int = N_DIGITS) -> tuple[int, int, int]:
    """(tile side, step from one tile to the next, tiles per row) for ``n`` tiles in a strip ``width`` px wide.

    One row if tiles of at least ``MIN_TILE`` px fit in it, else two, three… rows: every tile is always shown.
    """
    avail = max(1, width - 4)
    for rows in range(1, n + 1):
        per_row = -(-n // rows)
        step = min(MAX_STEP, avail // per_row)
        tile = min(TILE, step - 2 - GAP)  # 2: the frame's pixel on either side
        if tile >= MIN_TILE or per_row == 1:
            return max(1, tile), max(3, step), per_row
    raise AssertionError("unreachable")


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
        self._tile, self._step, self._per_row = TILE, MAX_STEP, N_DIGITS
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(self._height())
        self.setToolTip("30 fixed test digits and the training model's answer after each epoch: green right, red wrong")

    def sizeHint(self) -> QSize:
        return QSize(N_DIGITS * (TILE + 4), self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(10 * (TILE + 4), self._height())

    def _height(self) -> int:
        rows = -(-N_DIGITS // self._per_row)
        return HEAD + rows * (self._tile + ANSWER)

    def tile_rect(self, i: int) -> QRect:
        """Tile ``i``'s cell: paper with the digit ``PAD`` px inside; its frame 1 px around it, its answer in the 20 px below."""
        row, col = divmod(i, self._per_row)
        return QRect(2 + col * self._step, HEAD + row * (self._tile + ANSWER), self._tile, self._tile)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        layout = strip_layout(self.width())
        if layout != (self._tile, self._step, self._per_row):
            tile_changed = layout[0] != self._tile
            self._tile, self._step, self._per_row = layout
            self.setFixedHeight(self._height())  # rows added or removed: the layout gives the strip their height
            if tile_changed:
                self._render()

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
            side = max(1, self._tile - 2 * PAD)
            self._pixmaps = [gray_pixmap(im / 255.0, side, dark_ink_on_light=not self._dark) for im in self.images]
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
        paper = QColor(0, 0, 0) if self._dark else QColor(255, 255, 255)  # the digits' own background
        for i, pm in enumerate(self._pixmaps):
            r = self.tile_rect(i)
            p.fillRect(r, paper)
            p.drawPixmap(r.x() + PAD, r.y() + PAD, pm)
            if ok is not None:
                p.setPen(RIGHT if ok[i] else WRONG)
                p.drawRect(r.x() - 1, r.y() - 1, r.width() + 1, r.height() + 1)
                p.drawText(QRectF(r.x(), r.bottom() + 1, r.width(), 20), Qt.AlignCenter, str(int(self.answers[i])))
        p.end()
