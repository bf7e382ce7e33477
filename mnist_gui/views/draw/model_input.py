"""The Draw tab's "What the model sees" strip: the drawing, the crop fitted into 20×20, the 28×28 input and
the saliency tile, left to right with arrows, each captioned.

It only shows pictures; the Draw tab decides what goes in them (and ``WhyView`` owns the saliency tile's).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mnist_gui.ml.preprocess import bounding_box, fit_box
from mnist_gui.views.canvas import RENDER_SIZE
from mnist_gui.views.widgets import ImageTile


TITLE = "What the model sees"


def around_ink(raw: np.ndarray) -> np.ndarray:
    """The part of the wide canvas raster holding ink, squared with a margin, for the "drawing" tile."""
    bbox = bounding_box(raw)
    if bbox is None:
        return raw
    top, bottom, left, right = bbox
    side = max(bottom - top, right - left, RENDER_SIZE // 2) + RENDER_SIZE // 8
    cy, cx = (top + bottom) // 2, (left + right) // 2
    out = np.zeros((side, side), np.float32)
    r0, c0 = cy - side // 2, cx - side // 2
    src = raw[max(r0, 0) : r0 + side, max(c0, 0) : c0 + side]
    out[max(-r0, 0) : max(-r0, 0) + src.shape[0], max(-c0, 0) : max(-c0, 0) + src.shape[1]] = src
    return out


class ModelInputStrip(QGroupBox):
    """Four captioned tiles: how a drawing becomes the network's input, and why it reads as it does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent)
        self.raw_tile = ImageTile("Your drawing")
        self.box_tile = ImageTile("Cropped and fitted into 20×20")
        self.input_tile = ImageTile("The 28×28 the model sees")
        self.why_tile = ImageTile("Saliency (integrated gradients): red = ink that makes it this digit, blue = ink that "
                                  "argues against it. ◐ Why (W) colours the drawing itself. More in the Inside tab.")
        row = QHBoxLayout(self)
        for tile, caption in ((self.raw_tile, "drawing"), (self.box_tile, "fit 20×20"), (self.input_tile, "28×28 input"),
                              (self.why_tile, "why: red for, blue against")):
            col = QVBoxLayout()
            col.addWidget(tile, 0, Qt.AlignCenter)
            cap = QLabel(caption)
            cap.setAlignment(Qt.AlignCenter)
            col.addWidget(cap)
            row.addLayout(col)
            if tile not in (self.input_tile, self.why_tile):
                arrow = QLabel("→")
                arrow.setAlignment(Qt.AlignCenter)
                row.addWidget(arrow)

    def show_drawing(self, raw: np.ndarray, dark: bool) -> None:
        """The canvas raster, cropped around its ink."""
        self.raw_tile.show_array(around_ink(raw), dark)

    def show_input(self, x: np.ndarray, raw: np.ndarray | None, dark: bool, digit: int = 0, digits: int = 1) -> None:
        """A digit's 28×28 input ``x`` and its fitted crop (of ``raw``, the whole raster, for a single digit: finer).
        Of a number (``digits`` > 1) the title says which digit the tiles after the drawing show."""
        self.box_tile.show_array(fit_box(raw if raw is not None else x), dark)
        self.input_tile.show_array(x, dark)
        self.setTitle(TITLE if digits < 2 else f"{TITLE} — digit {digit + 1} of {digits} (click another to see it)")

    def blank(self, dark: bool) -> None:
        """No digit to show (the drawing tile keeps the canvas as it is)."""
        self.setTitle(TITLE)
        self.box_tile.show_array(None, dark)
        self.input_tile.show_array(None, dark)
