"""Shared pieces of the Inside panels: colour maps, tiling unit grids, a clickable image view, PNG export.

pyqtgraph is imported here, so the Inside tab imports this package only when it is first shown.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QToolTip, QVBoxLayout, QWidget

from mnist_gui.atomic import atomic_path
from mnist_gui.views.theme import BASE, chart_colors

log = logging.getLogger(__name__)

# ten label colours that stay apart on white and on near-black (Tableau 10)
LABEL_COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def heat_lut() -> np.ndarray:
    """Black → purple → orange → yellow ('inferno'-like): 0 activation is dark in both themes."""
    return pg.colormap.get("inferno").getLookupTable(0.0, 1.0, 256)


DARK_BACKGROUND = BASE[True]  # the Inside panels' background in the dark theme, as the Train tab's plots


def background(dark: bool) -> str:
    """The Inside panels' background: the theme's chart background (white, or :data:`DARK_BACKGROUND`)."""
    return chart_colors(dark)[0]


def foreground(dark: bool) -> str:
    """The Inside panels' text and axis colour on :func:`background`."""
    return chart_colors(dark)[1]


def diverging_lut(dark: bool = False) -> np.ndarray:
    """Blue (negative) → white (0) → red (positive): the saliency and weight colours. In the dark theme the middle
    is the panel's background: zero weights and gaps are the background, not a white block; blue and red still
    tell the sign."""
    middle = DARK_BACKGROUND if dark else (247, 247, 247)
    return pg.ColorMap([0.0, 0.5, 1.0], [(33, 102, 172), middle, (178, 24, 43)]).getLookupTable(0.0, 1.0, 256)


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, cols) with cols ≈ 2 × rows: 512 → 16×32, 128 → 8×16, 10 → 3×4."""
    rows = max(1, int(math.sqrt(n / 2)))
    cols = math.ceil(n / rows)
    return rows, cols


def tile(images: np.ndarray, cols: int, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """``(n, h, w)`` → one ``(rows*(h+gap)-gap, cols*(w+gap)-gap)`` mosaic (row-major), gaps = ``fill``."""
    n, h, w = images.shape
    rows = math.ceil(n / cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), fill, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = images[i]
    return out


class ImageView(pg.GraphicsLayoutWidget):
    """One image (rows top-down) with a fixed aspect ratio, no axes; reports hover and click in pixel coordinates."""

    hovered = Signal(int, int)  # (row, col) under the mouse, (-1, -1) when outside
    clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.view = self.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.view.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self._shape: tuple[int, int] = (0, 0)
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)
        # Said in the empty view (an empty box reads as broken): what will show here, and how to get it.
        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)  # the palette's quieter text, on either theme's background
        self.placeholder.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.placeholder.hide()

    def set_placeholder(self, text: str) -> None:
        """The text shown while the view has no image ('' for none)."""
        self.placeholder.setText(text)
        self._sync_placeholder()

    def _sync_placeholder(self) -> None:
        if "placeholder" not in self.__dict__:
            return  # pyqtgraph resizes the view while it is built, before the label exists
        self.placeholder.setGeometry(self.rect().adjusted(8, 8, -8, -8))
        self.placeholder.setVisible(bool(self.placeholder.text()) and not self._shape[0])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._sync_placeholder()

    def set_image(self, img: np.ndarray, lut: np.ndarray | None, levels: tuple[float, float]) -> None:
        shape = img.shape[:2]
        self.image.setImage(img, lut=lut, levels=levels, autoLevels=False)
        if shape != self._shape:
            self._shape = shape
            self.view.setRange(xRange=(0, shape[1]), yRange=(0, shape[0]), padding=0.01)
        self._sync_placeholder()

    def clear_image(self) -> None:
        self.image.clear()
        self._shape = (0, 0)
        self._sync_placeholder()

    def _pixel(self, pos: QPointF) -> tuple[int, int]:
        if not self._shape[0]:
            return -1, -1
        p = self.view.mapSceneToView(pos)
        r, c = int(math.floor(p.y())), int(math.floor(p.x()))
        return (r, c) if 0 <= r < self._shape[0] and 0 <= c < self._shape[1] else (-1, -1)

    def _moved(self, pos: QPointF) -> None:
        self.hovered.emit(*self._pixel(pos))

    def _clicked(self, ev: object) -> None:
        if ev.button() == Qt.LeftButton:  # type: ignore[attr-defined]
            r, c = self._pixel(ev.scenePos())  # type: ignore[attr-defined]
            if r >= 0:
                self.clicked.emit(r, c)

    def show_tip(self, text: str) -> None:
        """A tooltip at the mouse (hovering a unit), hidden with an empty text."""
        from PySide6.QtGui import QCursor

        if text:
            QToolTip.showText(QCursor.pos(), text, self)
        else:
            QToolTip.hideText()


def save_png(widget: QWidget, path: str | Path) -> Path:
    """The widget as it looks now, written atomically to ``path`` (a PNG)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        path = path.with_suffix(path.suffix + ".png")
    pixmap = widget.grab()
    with atomic_path(path) as tmp:
        if not pixmap.save(str(tmp), "PNG"):
            raise OSError(f"could not write {path}")
    return path


class Panel(QWidget):
    """A titled box with a 'Save PNG…' button; subclasses put their content in ``self.body``."""

    def __init__(self, title: str, on_error: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._on_error = on_error
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        outer.setSpacing(2)
        head = QHBoxLayout()
        self.title = QLabel(f"<b>{title}</b>")
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save this picture as a PNG file")
        self.save_button.clicked.connect(self._ask_save)
        head.addWidget(self.title, 1)
        head.addWidget(self.save_button)
        outer.addLayout(head)
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.body, 1)

    def picture(self) -> QWidget:
        """What 'Save PNG…' writes: the whole panel unless a subclass narrows it."""
        return self

    def export_png(self, path: str | Path) -> Path:
        return save_png(self.picture(), path)

    def _ask_save(self) -> None:
        name = self.title.text().replace("<b>", "").replace("</b>", "").split(" —")[0].strip().lower().replace(" ", "-")
        path, _ = QFileDialog.getSaveFileName(self, "Save picture", str(Path.home() / f"{name}.png"), "PNG image (*.png)")
        if not path:
            return
        try:
            self.export_png(path)
        except OSError as exc:
            log.warning("could not save %s: %s", path, exc)
            self._on_error("Could not save the picture", f"{path}: {exc.strerror or exc}")
