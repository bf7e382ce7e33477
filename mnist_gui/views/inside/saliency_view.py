"""Saliency on the model input: which ink pushed the answer toward the predicted digit (warm) or away (cool),
with a "why not…?" picker (evidence for the prediction against another digit)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from mnist_gui.views.inside.common import ImageView, Panel, background, diverging_lut

log = logging.getLogger(__name__)


def overlay(image: np.ndarray, sal: np.ndarray, dark: bool) -> np.ndarray:
    """RGB (28, 28, 3) uint8: the input in grey, the saliency's colour over it, opaque where it is strong."""
    lut = diverging_lut().astype(np.float32)
    # the 98th percentile of the ink's magnitudes, not the maximum: one extreme pixel would wash out the rest
    mag = np.abs(sal[sal != 0])
    lim = float(np.percentile(mag, 98)) if mag.size else 0.0
    norm = np.clip(sal / lim, -1, 1) if lim > 0 else np.zeros_like(sal)
    colour = lut[np.clip(((norm + 1) * 127.5).astype(int), 0, 255)][..., :3]
    ink = np.clip(image, 0, 1)[..., None]
    paper, pen = (30.0, 150.0) if dark else (255.0, 110.0)
    grey = paper + (pen - paper) * ink  # the digit shows faintly under the colours
    alpha = np.clip(np.abs(norm) ** 0.6 * 1.2, 0, 1)[..., None]  # a gamma: weak evidence still shows a tint
    return (grey * (1 - alpha) + colour * alpha).astype(np.uint8)


JUST_WHY = "— why this answer"  # the picker's default: no other digit, the evidence for the answer itself


class SaliencyView(Panel):
    """The overlay, the picker and one line saying what the colours mean; ``againstChanged(k or -1)``."""

    againstChanged = Signal(int)

    def __init__(self, on_error: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__("Why this answer? (saliency)", on_error, parent)
        row = QHBoxLayout()
        row.addWidget(QLabel("Why not…?"))
        self.picker = QComboBox()
        self.picker.addItem(JUST_WHY, -1)
        for k in range(10):
            self.picker.addItem(f"why not {k}?", k)
        self.picker.setToolTip("Compare the predicted digit with another one: the map shows the evidence for one against the other")
        self.picker.currentIndexChanged.connect(lambda _i: self.againstChanged.emit(self.against()))
        row.addWidget(self.picker)
        row.addStretch(1)
        self.body.addLayout(row)
        self.view = ImageView()
        self.view.hovered.connect(self._hover)
        self.body.addWidget(self.view, 1)
        self.legend = QLabel("Draw a digit to see which of its pixels drove the answer.")
        self.legend.setWordWrap(True)
        self.body.addWidget(self.legend)
        self._dark = False
        self._map: np.ndarray | None = None

    def against(self) -> int:
        return int(self.picker.currentData())

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.view.setBackground(background(dark))

    def show_map(self, image: np.ndarray | None, sal: np.ndarray | None, legend: str) -> None:
        self._map = sal
        if image is None or sal is None:
            self.view.clear_image()
        else:
            self.view.set_image(overlay(image, sal, self._dark), None, (0, 255))
        self.legend.setText(legend)

    def _hover(self, r: int, c: int) -> None:
        if r < 0 or self._map is None:
            self.view.show_tip("")
            return
        self.view.show_tip(f"pixel ({r}, {c}): {self._map[r, c]:+.3f}")
