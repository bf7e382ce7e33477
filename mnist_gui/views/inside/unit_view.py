"""One unit up close: its template (incoming weights as an image, or a filter) and the 9 training images
that excite it most; click one to open it in the Dataset tab."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from mnist_gui.views.inside.common import ImageView, Panel, background, diverging_lut, grid_shape, tile

log = logging.getLogger(__name__)

TITLE = "A unit up close"
TOPS = "Training images that excite it most"


def template_image(t: np.ndarray) -> np.ndarray:
    """A template as one 2-D picture: (h, w) stays; (h, w, c) filters become a mosaic of their channels."""
    t = np.asarray(t, dtype=np.float32)
    if t.ndim == 2:
        return t
    if t.ndim == 1:  # weights from a dense layer that is not an image: a grid like the activations'
        rows, cols = grid_shape(len(t))
        return np.concatenate([t, np.zeros(rows * cols - len(t), np.float32)]).reshape(rows, cols)
    chans = np.moveaxis(t.reshape(t.shape[0], t.shape[1], -1), -1, 0)
    return np.nan_to_num(tile(chans, grid_shape(len(chans))[1], 1, fill=0.0))


class UnitView(Panel):
    """Template left, 3×3 top images right; ``imageClicked(train index)``."""

    imageClicked = Signal(int)

    def __init__(self, on_error: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__(TITLE, on_error, parent)
        row = QHBoxLayout()
        left = QWidget()
        from PySide6.QtWidgets import QVBoxLayout

        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.template = ImageView()
        self.template.setToolTip("Incoming weights: red pixels raise this unit, blue ones lower it")
        self.template.set_placeholder("Click a unit in the Activations grid: what it looks for shows here")
        lv.addWidget(self.template, 1)
        lv.addWidget(QLabel("What it looks for (red +, blue −)"))
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.tops = ImageView()
        self.tops.setToolTip("The 9 training images that excite this unit most: click one to open it in the Dataset tab")
        self.tops.clicked.connect(self._click)
        self.tops.set_placeholder("…and here the 9 training images that excite it most")
        rv.addWidget(self.tops, 1)
        self.tops_label = QLabel(TOPS)
        self.tops_label.setWordWrap(True)
        rv.addWidget(self.tops_label)
        row.addWidget(left, 1)
        row.addWidget(right, 1)
        self.body.addLayout(row, 1)
        self.caption = QLabel("Click a unit in the activations to look at it here.")
        self.caption.setWordWrap(True)
        self.body.addWidget(self.caption)
        self.unit: tuple[int, int] | None = None  # (layer, unit) shown
        self.top_indices: np.ndarray | None = None
        self._lut = diverging_lut()
        self._shown: tuple[np.ndarray, float] | None = None  # the template picture and its colour limit

    def set_dark(self, dark: bool) -> None:
        bg = background(dark)
        self.template.setBackground(bg)
        self.tops.setBackground(bg)
        self._lut = diverging_lut(dark)
        if self._shown is not None:
            img, lim = self._shown
            self.template.set_image(img, self._lut, (-lim, lim))

    def clear(self, message: str = "Click a unit in the activations to look at it here.") -> None:
        self.unit = None
        self.top_indices = None
        self._shown = None
        self.template.clear_image()
        self.tops.clear_image()
        self.title.setText(f"<b>{TITLE}</b>")
        self.tops_label.setText(TOPS)
        self.caption.setText(message)

    def show_unit(self, layer: int, name: str, unit: int, template: np.ndarray) -> None:
        self.unit = (layer, unit)
        img = template_image(template)
        lim = float(np.abs(img).max()) or 1.0
        self._shown = (img, lim)
        self.template.set_image(img, self._lut, (-lim, lim))
        self.title.setText(f"<b>{TITLE}</b> — {name}: unit {unit}")
        self.tops.clear_image()
        self.top_indices = None
        self.tops_label.setText("Finding the training images that excite it most…")

    def show_tops(self, images: np.ndarray, indices: np.ndarray, values: np.ndarray, labels: np.ndarray | None,
                  of: str = "training images") -> None:
        """``images`` (9, 28, 28) uint8 of training set ``indices``, with the unit's ``values`` on them."""
        self.top_indices = np.asarray(indices)
        self.tops.set_image(tile(images.astype(np.float32) / 255.0, 3, 2, fill=0.5), None, (0.0, 1.0))
        labs = f", labels {' '.join(str(int(v)) for v in labels)}" if labels is not None else ""
        dead = " A dead unit: it never fires on these images." if float(values.max()) <= 0 else ""
        self.tops_label.setText(f"Top 9 {of}{labs}. Click one to open it.{dead}")

    def _click(self, r: int, c: int) -> None:
        if self.top_indices is None:
            return
        cell = 28 + 2
        if r % cell >= 28 or c % cell >= 28:
            return
        k = (r // cell) * 3 + c // cell
        if k < len(self.top_indices):
            self.imageClicked.emit(int(self.top_indices[k]))
