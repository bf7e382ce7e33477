"""Map of the hidden space: test digits projected to 2-D (PCA of the last hidden layer), coloured by label;
hover shows the digit, click opens it in the Dataset tab, the current input (a drawing or a dataset image) is a
star that moves with it."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mnist_gui.ml.explain import Embedding
from mnist_gui.views.inside.common import LABEL_COLORS, ImageView, Panel, background, foreground

log = logging.getLogger(__name__)

PREVIEW = 80  # pixels: the hovered digit, ~3× its 28×28
STAR = 28  # pixels: the current input's marker
STAR_FILL = (255, 221, 0)
TOP_MARGIN = 10  # pixels above the plot's frame: half a tick label, so the topmost one shows whole
CAPTION = "the star is the current input. Click a dot to open it."


def variance_share(explained: np.ndarray) -> tuple[int, int, int]:
    """The axes' shares of the variance in whole percent, and their total from those rounded figures: the caption's
    total then always equals what the two axis labels add up to."""
    a, b = (round(100 * float(v)) for v in explained[:2])
    return a, b, a + b


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
        # room above the plot: the left axis's top tick label is centred on its tick and would be cut in half
        self.plot.getPlotItem().layout.setContentsMargins(1, TOP_MARGIN, 1, 1)
        # One scatter per label, each with one brush: 5,000 per-point brushes cost ~25 ms on the GUI thread (and
        # five scatters per label, stacked in rounds, ~20 ms more). Stacked by spread (set_embedding).
        self.scatters = [pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(*rgb, 200), hoverable=False) for rgb in LABEL_COLORS]
        for item in self.scatters:
            self.plot.addItem(item)
        # The current input: a big yellow star outlined in the text colour, on a disc of the background colour
        # that hides the dots under it (yellow alone is lost among the orange 1s); above every point.
        self.halo = pg.ScatterPlotItem([], [], size=STAR + 8, symbol="o", pen=None)
        self.halo.setZValue(9)
        self.marker = pg.ScatterPlotItem([], [], size=STAR, symbol="star", brush=pg.mkBrush(*STAR_FILL))
        self.marker.setZValue(10)
        for item in (self.halo, self.marker):
            self.plot.addItem(item)
        self._star_colors(dark=False)
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
        self.caption = QLabel(f"5,000 test digits placed by what the last hidden layer makes of them (PCA); {CAPTION}")
        self.caption.setWordWrap(True)
        self.body.addWidget(self.caption)
        self.embedding: Embedding | None = None
        self._images: np.ndarray | None = None
        self._labels: np.ndarray | None = None
        self._hover = -1

    def _star_colors(self, dark: bool) -> None:
        """The star's outline is the theme's text colour (white on dark, black on light), its halo the background."""
        self.marker.setPen(pg.mkPen("#ffffff" if dark else "#000000", width=2.0))
        halo = pg.mkColor(background(dark))
        halo.setAlpha(150)  # the dots under it still show: the star hides nothing for good (the 1s sit in a small cluster)
        self.halo.setBrush(pg.mkBrush(halo))

    def set_dark(self, dark: bool) -> None:
        bg, fg = background(dark), foreground(dark)
        self._star_colors(dark)
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
            self.set_marker(None)
            return
        labs = labels[emb.indices]
        spreads = []
        for d, item in enumerate(self.scatters):
            pts = emb.points[labs == d]
            item.setData(pos=pts)
            spreads.append(float(pts.std(axis=0).sum()) if len(pts) > 1 else 0.0)
        # The widest clouds are drawn first, the tightest last: a tight cluster (the 1s) hides little of the
        # others, while drawn under them (label order put the 9s over the 1s) it all but vanished.
        for rank, d in enumerate(np.argsort(spreads)[::-1]):
            self.scatters[int(d)].setZValue(rank / len(self.scatters))  # below the halo (9) and the star (10)
        a, b, total = variance_share(emb.explained)
        self.plot.setLabel("bottom", f"PC 1 ({a}%)")
        self.plot.setLabel("left", f"PC 2 ({b}%)")
        self.caption.setText(f"{len(emb.indices):,} test digits placed by the last hidden layer (PCA: the two axes carry "
                             f"{total}% of its variance); {CAPTION}")
        self.plot.autoRange()

    def set_marker(self, xy: np.ndarray | None) -> None:
        for item in (self.halo, self.marker):
            if xy is None:
                item.clear()
            else:
                item.setData([float(xy[0])], [float(xy[1])])

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
