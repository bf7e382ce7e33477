"""Map of the hidden space: test digits projected to 2-D (PCA of the last hidden layer), coloured by label;
hover shows the digit, click opens it in the Dataset tab, the current drawing is a moving marker."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mnist_gui.ml.explain import Embedding
from mnist_gui.views.inside.common import LABEL_COLORS, ImageView, Panel

log = logging.getLogger(__name__)

PREVIEW = 80  # pixels: the hovered digit, ~3× its 28×28


def legend() -> QWidget:
    """The ten label colours as two rows of "● d", for a row below the plot (it covers no points there)."""
    box = QWidget()
    box.setToolTip("A dot's colour is the digit's true label")
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(6)
    grid.setVerticalSpacing(2)
    for d, (r, g, b) in enumerate(LABEL_COLORS):
        item = QLabel(f"<span style='color:#{r:02x}{g:02x}{b:02x}'>●</span>&nbsp;{d}")
        item.setTextFormat(Qt.RichText)
        grid.addWidget(item, d // 5, d % 5)
    return box


class HiddenMap(Panel):
    """A scatter of ``Embedding.points``, below it the legend and the hovered digit; ``pointClicked(test index)``."""

    pointClicked = Signal(int)

    def __init__(self, on_error: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__("Map of the hidden space", on_error, parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(False)
        # One scatter per label, each with one brush: 5,000 per-point brushes cost ~25 ms on the GUI thread
        self.scatters = [pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(*rgb, 200), hoverable=False) for rgb in LABEL_COLORS]
        for item in self.scatters:
            self.plot.addItem(item)
        self.marker = pg.ScatterPlotItem([], [], size=18, symbol="star", brush=pg.mkBrush(255, 215, 0), pen=pg.mkPen("k", width=1.5))
        self.marker.setZValue(10)
        self.plot.addItem(self.marker)
        self.plot.scene().sigMouseMoved.connect(self._moved)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.body.addWidget(self.plot, 1)
        # Below the plot, never over its points: the colours' legend and, under it, what the preview (right) shows.
        row = QHBoxLayout()
        row.setContentsMargins(0, 2, 0, 0)
        left = QVBoxLayout()
        self.legend = legend()
        left.addWidget(self.legend, 0, Qt.AlignLeft)
        left.addStretch(1)
        self.thumb_label = QLabel("Hover a dot to see its digit here")
        self.thumb_label.setWordWrap(True)
        left.addWidget(self.thumb_label)
        row.addLayout(left, 1)
        self.thumb = ImageView()
        self.thumb.setFixedSize(PREVIEW, PREVIEW)
        self.thumb.setToolTip("The digit under the mouse")
        self.thumb.setStyleSheet("border: 1px solid rgba(128, 128, 128, 120);")  # its place shows while empty
        row.addWidget(self.thumb)
        self.body.addLayout(row)
        self.caption = QLabel("5,000 test digits placed by what the last hidden layer makes of them (PCA); "
                              "the star is your drawing. Click a dot to open it.")
        self.caption.setWordWrap(True)
        self.body.addWidget(self.caption)
        self.embedding: Embedding | None = None
        self._images: np.ndarray | None = None
        self._labels: np.ndarray | None = None
        self._hover = -1

    def set_dark(self, dark: bool) -> None:
        bg, fg = ("#1e1f22", "#dfe1e5") if dark else ("#ffffff", "#1c1c1e")
        self.plot.setBackground(bg)
        self.thumb.setBackground(bg)
        for axis in ("left", "bottom"):
            ax = self.plot.getAxis(axis)
            ax.setPen(fg)
            ax.setTextPen(fg)

    def set_busy(self, text: str) -> None:
        self.caption.setText(text)

    def set_embedding(self, emb: Embedding | None, images: np.ndarray | None, labels: np.ndarray | None) -> None:
        """The points of ``emb`` (indices into ``images``/``labels``, the test set); None clears the map."""
        self.embedding, self._images, self._labels = emb, images, labels
        if emb is None or labels is None:
            for item in self.scatters:
                item.clear()
            self.marker.clear()
            return
        labs = labels[emb.indices]
        for d, item in enumerate(self.scatters):
            item.setData(pos=emb.points[labs == d])
        share = float(emb.explained.sum())
        self.plot.setLabel("bottom", f"PC 1 ({emb.explained[0]:.0%})")
        self.plot.setLabel("left", f"PC 2 ({emb.explained[1]:.0%})")
        self.caption.setText(f"{len(emb.indices):,} test digits placed by the last hidden layer (PCA, {share:.0%} of "
                             "its variance); the star is your input. Hover a dot to see it; click to open it.")
        self.plot.autoRange()

    def set_marker(self, xy: np.ndarray | None) -> None:
        if xy is None:
            self.marker.clear()
        else:
            self.marker.setData([float(xy[0])], [float(xy[1])])

    def nearest(self, scene_pos: QPointF, radius_px: float = 8.0) -> int:
        """Row of ``embedding.points`` nearest to a scene position within ``radius_px`` pixels, or -1."""
        emb = self.embedding
        vb = self.plot.getViewBox()
        if emb is None or not vb.sceneBoundingRect().contains(scene_pos):
            return -1
        p = vb.mapSceneToView(scene_pos)
        px = vb.viewPixelSize()  # data units per pixel (x, y)
        d = ((emb.points[:, 0] - p.x()) / px[0]) ** 2 + ((emb.points[:, 1] - p.y()) / px[1]) ** 2
        j = int(np.argmin(d))
        return j if d[j] <= radius_px ** 2 else -1

    def _moved(self, pos: QPointF) -> None:
        j = self.nearest(pos)
        if j == self._hover or self.embedding is None or self._images is None:
            return
        self._hover = j
        if j < 0:
            return
        idx = int(self.embedding.indices[j])
        self.thumb.set_image(self._images[idx].astype(np.float32) / 255.0, None, (0.0, 1.0))
        lab = f" · label {int(self._labels[idx])}" if self._labels is not None else ""
        self.thumb_label.setText(f"test #{idx}{lab}")

    def _clicked(self, ev: object) -> None:
        if ev.button() != Qt.LeftButton or self.embedding is None:  # type: ignore[attr-defined]
            return
        j = self.nearest(ev.scenePos())  # type: ignore[attr-defined]
        if j >= 0:
            self.pointClicked.emit(int(self.embedding.indices[j]))
