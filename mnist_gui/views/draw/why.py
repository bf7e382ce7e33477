"""Saliency in the Draw tab: the "why" tile beside the 28×28 input and, switched on, the drawing itself
coloured by it (red = ink that makes it the answer, blue = ink that argues against it).

Off the prediction's hot path: the answer shows first; the maps follow at most every ``WHY_INTERVAL_MS``
while a stroke goes on, only while the tab is shown, and a digit whose input did not change (the other
digits of a number while one is drawn) keeps its map instead of being explained again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QToolButton

from mnist_gui.views.canvas import DrawCanvas
from mnist_gui.views.draw.items import CanvasDigit
from mnist_gui.views.saliency_image import ink_tint_rgba, saliency_of, saliency_pixmap
from mnist_gui.views.widgets import ImageTile

log = logging.getLogger(__name__)

WHY_INTERVAL_MS = 100  # at most ~10 maps a second while drawing; the answer itself updates at ~30 Hz


@dataclass(frozen=True)
class WhyRequest:
    """What to explain: every digit of the drawing with its answer, and which one the tile shows."""

    predictor: Any
    digits: tuple[CanvasDigit, ...]
    answers: tuple[int, ...]
    selected: int
    raster: np.ndarray
    dark: bool


class WhyView(QObject):
    """Owns the tile's picture, the canvas's tint and the "Why" toggle that turns the tint on."""

    def __init__(self, canvas: DrawCanvas, tile: ImageTile, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas, self.tile = canvas, tile
        self.button = QToolButton(text="◐ Why", checkable=True)
        self.button.setToolTip("Colour the drawing by saliency (W): red = ink that makes it the answer, "
                               "blue = ink that argues against it")
        self.button.toggled.connect(self._toggled)
        self._request: WhyRequest | None = None
        self._shown: WhyRequest | None = None  # the reading the pictures show
        self._done: list[tuple[np.ndarray, Any, int, np.ndarray | None]] = []  # (input, predictor, digit, map) made
        self._last = -1e9  # perf_counter of the last computation
        self.computed = 0  # maps computed so far (tests check that unchanged digits are not explained again)
        self.tint: np.ndarray | None = None  # the colours last laid over the drawing (RGBA on the canvas raster)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._compute)

    def request(self, req: WhyRequest) -> None:
        """Explain this reading soon (coalesced: only the newest request is computed)."""
        self._request = req
        self._schedule()

    def _toggled(self, _on: bool) -> None:
        self._request = self._request or self._shown  # the same reading, with or without the drawing coloured
        self._schedule()

    def clear(self) -> None:
        self._request = self._shown = None
        self._timer.stop()
        self.tile.clear()
        self.tint = None
        self.canvas.set_tint(None)

    def flush(self) -> None:
        """The tab was shown: compute what waited while it was hidden."""
        self._schedule()

    def _schedule(self) -> None:
        if self._request is None or self._timer.isActive():
            return
        wait = WHY_INTERVAL_MS - (time.perf_counter() - self._last) * 1000
        self._timer.start(max(0, int(wait)))

    def _lookup(self, predictor: Any, x: np.ndarray, digit: int) -> tuple[np.ndarray, Any, int, np.ndarray | None] | None:
        for entry in self._done:
            if entry[0] is x and entry[1] is predictor and entry[2] == digit:  # the canvas reuses unchanged inputs
                return entry
        return None

    def _compute(self) -> None:
        req = self._request
        if req is None or not self.tile.isVisible():  # hidden tab: flush() computes it when shown
            return
        wanted = list(range(len(req.digits))) if self.button.isChecked() else [req.selected]
        fresh = 0
        for i in wanted:
            x, digit = req.digits[i].x, req.answers[i]
            if self._lookup(req.predictor, x, digit) is None:
                if fresh:  # one new map per turn of the event loop: five CNN maps at once would block it ~80 ms
                    self._timer.start(0)
                    return
                sal = saliency_of(req.predictor, x, digit)
                self.computed += sal is not None
                self._done.append((x, req.predictor, digit, sal))
                fresh += 1
        self._request, self._shown = None, req
        self._last = time.perf_counter()
        entries = [self._lookup(req.predictor, req.digits[i].x, req.answers[i]) for i in wanted]
        self._done = [e for e in entries if e is not None]
        maps = []
        for i, (x, _pred, _digit, sal) in zip(wanted, self._done):
            if sal is None:
                continue
            if i == req.selected:
                self.tile.setPixmap(saliency_pixmap(x, sal, req.dark, self.tile.width() - 2))
            if req.digits[i].frame is not None:
                maps.append((sal, req.digits[i].frame))
        if req.selected not in wanted or self._done[wanted.index(req.selected)][3] is None:
            self.tile.clear()
        self.tint = ink_tint_rgba(req.raster, maps) if self.button.isChecked() and maps else None
        self.canvas.set_tint(self.tint)
