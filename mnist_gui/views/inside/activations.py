"""Activations of one layer as a heat-map grid of its units (CNN: its feature maps), and the ten probabilities."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from mnist_gui.ml.explain import Activations, LayerInfo
from mnist_gui.views.inside.common import ImageView, Panel, background, foreground, grid_shape, heat_lut, tile
from mnist_gui.views.qimage import to_qimage

log = logging.getLogger(__name__)


class UnitGrid:
    """Where each unit (dense) or channel (feature map) sits in the mosaic of a layer."""

    def __init__(self, info: LayerInfo) -> None:
        self.info = info
        self.maps = len(info.output_shape) == 3
        units = info.units
        self.rows, self.cols = grid_shape(units)
        if self.maps:
            self.h, self.w = info.output_shape[0], info.output_shape[1]
            self.gap = 1
        else:
            self.h = self.w = 1
            self.gap = 0

    def mosaic(self, values: np.ndarray) -> np.ndarray:
        if self.maps:
            return tile(np.moveaxis(values, -1, 0), self.cols, self.gap)
        flat = np.full(self.rows * self.cols, np.nan, dtype=np.float32)
        flat[: len(values)] = values
        return flat.reshape(self.rows, self.cols)

    def unit_at(self, r: int, c: int) -> int:
        """The unit under mosaic pixel (r, c), or -1 (a gap or past the last unit)."""
        sh, sw = self.h + self.gap, self.w + self.gap
        if r % sh >= self.h or c % sw >= self.w:
            return -1
        u = (r // sh) * self.cols + c // sw
        return u if u < self.info.units else -1


class ActivationsPanel(Panel):
    """The selected layer's grid (hover: unit and value; click: that unit up close) beside the output's bars."""

    unitClicked = Signal(int)

    def __init__(self, on_error: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__("Activations", on_error, parent)
        row = QHBoxLayout()
        self.grid = ImageView()
        self.grid.setToolTip("")
        self.grid.hovered.connect(self._hover)
        self.grid.clicked.connect(self._click)
        row.addWidget(self.grid, 3)
        self.bars = pg.PlotWidget()
        self.bars.setMenuEnabled(False)
        self.bars.setMouseEnabled(False, False)
        self.bars.hideButtons()
        self.bars.setYRange(0, 1, padding=0.02)
        self.bars.setXRange(-0.6, 9.6, padding=0)
        self.bars.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        self.bars.setLabel("left", "probability")
        self.bars.setLabel("bottom", "digit")
        self._bar_item = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7)
        self.bars.addItem(self._bar_item)
        self.bars.setMinimumWidth(200)
        row.addWidget(self.bars, 1)
        self.body.addLayout(row, 1)
        # The colour scale: each input's grid runs from black (0, a silent unit) to its own strongest unit.
        scale = QHBoxLayout()
        self.scale_bar = QLabel()
        self.scale_bar.setPixmap(QPixmap.fromImage(to_qimage(heat_lut()[None, :, :3].astype(np.uint8))).scaled(
            120, 10, Qt.IgnoreAspectRatio, Qt.SmoothTransformation))
        self.scale_low, self.scale_high = QLabel("0 (silent)"), QLabel("")
        for w in (self.scale_low, self.scale_bar, self.scale_high):
            scale.addWidget(w)
        scale.addStretch(1)
        self.body.addLayout(scale)
        self.caption = QLabel("Draw a digit (Draw tab) or pick an image (Dataset tab).")
        self.caption.setWordWrap(True)
        self.body.addWidget(self.caption)
        self._layout: UnitGrid | None = None
        self._values: np.ndarray | None = None
        self._name = ""  # the shown layer's name in the headers and tooltips
        self._lut = heat_lut()
        self._fg = foreground(False)

    def set_dark(self, dark: bool) -> None:
        bg, self._fg = background(dark), foreground(dark)
        for w in (self.grid, self.bars):
            w.setBackground(bg)
        for axis in ("left", "bottom"):
            ax = self.bars.getAxis(axis)
            ax.setPen(self._fg)
            ax.setTextPen(self._fg)

    def show_layer(self, info: LayerInfo, values: np.ndarray | None, name: str = "") -> None:
        """The grid of ``info`` (a hidden layer) for one image's ``values`` (None: cleared); ``name``: the layer as
        the model diagram calls it (``model_diagram.layer_names``), Keras' name if not given."""
        if self._layout is None or self._layout.info != info:
            self._layout = UnitGrid(info)
        lay = self._layout
        self._values = values
        self._name = name or info.name
        shape = "×".join(map(str, info.output_shape))
        what = f"{info.units} feature maps" if lay.maps else f"{info.units} units as {lay.rows}×{lay.cols}"
        self.title.setText(f"<b>Activations</b> — {self._name}: {what}" + (f" ({shape})" if lay.maps else ""))
        if values is None:
            self.grid.clear_image()
            self.scale_high.setText("")
            return
        m = lay.mosaic(values)
        top = float(np.nanmax(m)) if np.isfinite(m).any() else 0.0
        self.grid.set_image(np.nan_to_num(m, nan=0.0), self._lut, (0.0, max(top, 1e-6)))
        self.scale_high.setText(f"{top:.3g} (this input's strongest {'map value' if lay.maps else 'unit'})")

    def show_output(self, acts: Activations | None) -> None:
        if acts is None:
            self._bar_item.setOpts(height=np.zeros(10))
            self.bars.setTitle("")
            return
        p = acts.probabilities
        brushes = [pg.mkBrush(230, 120, 30) if i == acts.predicted else pg.mkBrush(38, 99, 221, 170) for i in range(10)]
        self._bar_item.setOpts(height=p, brushes=brushes)
        self.bars.setTitle(f"{acts.predicted} · {p[acts.predicted]:.0%}", color=self._fg)

    def hover_text(self, r: int, c: int) -> str:
        """The tooltip for mosaic pixel (r, c): the unit's index and value ('' outside any unit)."""
        lay = self._layout
        u = lay.unit_at(r, c) if lay is not None and r >= 0 else -1
        if u < 0 or self._values is None:
            return ""
        if lay.maps:
            return f"{self._name}: channel {u}, max {float(self._values[..., u].max()):.3f}"
        return f"{self._name}: unit {u} = {float(self._values[u]):.3f}"

    def _hover(self, r: int, c: int) -> None:
        self.grid.show_tip(self.hover_text(r, c))

    def _click(self, r: int, c: int) -> None:
        u = self._layout.unit_at(r, c) if self._layout is not None else -1
        if u >= 0:
            self.unitClicked.emit(u)
