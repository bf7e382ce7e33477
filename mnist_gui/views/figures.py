"""The notebook's matplotlib figures, embedded (imported only when the Dataset tab first shows).

The pixel-value view is one image composited from a per-value cell atlas (at the cell size in device pixels,
labels as large as a cell allows, none when that would be too small to read: then hovering a cell shows its
value) and blitted on selection, so redrawing stays fast.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QToolTip
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from mnist_gui.views.theme import chart_colors, window_color


def _style(fig: Figure, dark: bool) -> str:
    fg = chart_colors(dark)[1]
    fig.set_facecolor(window_color(dark))
    return fg


class FirstSixCanvas(FigureCanvasQTAgg):
    """The notebook's step 2: the first six training images with their labels as titles.

    In a row, as the notebook drew them, where the page is wide; in two rows of three where it is tall (the
    Dataset tab's usual shape): the images then fill the page instead of a thin strip across its middle.
    """

    def __init__(self) -> None:
        # Two rows from the start: the Dataset tab's page is tall, so its first resize need not rebuild the grid.
        super().__init__(Figure(figsize=(6, 4.4), layout="constrained"))
        self.grid = (2, 3)
        self.axes = list(self.figure.subplots(*self.grid).flat)
        self._shown: tuple[np.ndarray, np.ndarray, bool] | None = None

    @staticmethod
    def grid_for(width: int, height: int) -> tuple[int, int]:
        """(rows, columns) that show six square images larger in a ``width``×``height`` page."""
        # a row of six: side ≈ min(w/6, h); two rows of three: side ≈ min(w/3, h/2) (titles aside)
        return (2, 3) if min(width / 3, height / 2) > min(width / 6, height) else (1, 6)

    def resizeEvent(self, event) -> None:
        grid = self.grid_for(self.width(), self.height())
        if grid != self.grid:
            self.grid = grid
            self.figure.clear()
            self.axes = list(self.figure.subplots(*grid).flat)
            if self._shown is not None:
                self.show_images(*self._shown)
        super().resizeEvent(event)

    def show_images(self, images: np.ndarray, labels: np.ndarray, dark: bool) -> None:
        self._shown = (images, labels, dark)
        fg = _style(self.figure, dark)
        for ax, img, lab in zip(self.axes, images, labels):
            ax.clear()
            ax.imshow(img, cmap="gray")
            ax.set_title(str(int(lab)), color=fg)
            ax.set_xticks([])
            ax.set_yticks([])
        self.draw_idle()


class _GlyphCache:
    """Each label string rendered once by FreeType (what Agg uses), as an alpha mask cropped to its ink."""

    def __init__(self, px: int) -> None:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font

        self.font = FT2Font(font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans")))
        self.px = px
        self.cache: dict[str, np.ndarray] = {}

    def get(self, text: str) -> np.ndarray:
        mask = self.cache.get(text)
        if mask is None:
            self.font.set_size(self.px, 72)  # 72 dpi: px pixels per em
            self.font.set_text(text, 0.0)
            self.font.draw_glyphs_to_bitmap(antialiased=True)
            mask = np.asarray(self.font.get_image(), dtype=np.float32) / 255.0
            ys, xs = np.nonzero(mask)
            if len(ys):  # only the ink: the bitmap's padding would push the label off the cell's centre
                mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
            self.cache[text] = mask
        return mask


def cell_label(value: int, rescaled: bool) -> str:
    """The text written in a pixel's cell."""
    return (f"{value / 255:.1f}" if value else "0") if rescaled else str(value)


def _extreme_labels(rescaled: bool) -> list[str]:
    """The labels that can be the widest or the tallest: fitting these fits every label, at a quarter of the cost.

    The longest labels only ("100"…"255", "0.0"…"1.0"). Digits share one advance width and do not kern, so a
    label's ink spans from its first glyph's left ink to its last glyph's right ink: every first and last digit
    counts, the middle one only for its height — "0" and "8" reach the furthest up and down.
    """
    labels = {cell_label(v, rescaled) for v in range(256)}
    longest = max(map(len, labels))
    if rescaled:
        return sorted(t for t in labels if len(t) == longest)  # 11 of them
    return sorted(t for t in labels if len(t) == longest and t[1] in "08") or sorted(labels)


def _ink_size(mask: np.ndarray) -> tuple[int, int]:
    """(height, width) of a label's visible ink: its faint anti-aliased fringe may spill into the margin."""
    ys, xs = np.nonzero(mask > 0.25)
    return (int(ys.max() - ys.min() + 1), int(xs.max() - xs.min() + 1)) if len(ys) else (0, 0)


def _cell_map(n: int, cell: int) -> np.ndarray:
    """For each of ``n`` pixels along a side, its pixel in a row of 28 cells of ``cell`` pixels (``cell`` ≥
    ``n / 28``): cell ``i`` covers pixels ``i·n//28 …``, a cell narrower than ``cell`` loses its edges (its
    margin), never a column of its label."""
    bounds = np.arange(29) * n // 28
    j = np.arange(n)
    i = np.searchsorted(bounds, j, side="right") - 1
    width = bounds[i + 1] - bounds[i]
    return i * cell + j - bounds[i] + (cell - width) // 2


class _CellsImage(AxesImage):
    """The cells drawn at the axes' size in device pixels at draw time: on screen and in an export at another
    DPI alike, each label is rendered at its cell's own size (never resampled), and nearest-neighbour maps
    the image's pixels one to one."""

    def __init__(self, ax: object, canvas: PixelCanvas) -> None:
        super().__init__(ax, interpolation="nearest", extent=(-0.5, 27.5, 27.5, -0.5))  # type: ignore[arg-type]
        self._canvas = canvas
        self.set_data(np.zeros((28, 28), np.uint8))

    def draw(self, renderer: object) -> None:
        _, _, w, h = self.axes.bbox.bounds
        grey = self._canvas.render(max(28, round(w)), max(28, round(h)))
        rgba = np.empty((*grey.shape, 4), np.uint8)
        rgba[..., :3] = grey[..., None]
        rgba[..., 3] = 255
        self.set_data(rgba)
        super().draw(renderer)


class PixelCanvas(FigureCanvasQTAgg):
    """The notebook's step 3: a zoomed 28×28 view with every pixel value written in its cell.

    784 matplotlib Text artists take ≈ 600 ms to draw; instead each of the 256 possible cells (grey level
    plus its label, from cached FreeType glyphs) is rendered once into an atlas per cell size and an image is
    one gather from it. The cell size is the axes' size in device pixels (the figure's DPI: the screen's, or
    the export's) over 28, and the labels are as large as that cell allows (:meth:`label_px`). A full draw
    (first show, resize, theme, export) goes through matplotlib (:class:`_CellsImage`); a selection writes the
    cells straight into the canvas' Agg buffer over the axes and blits that rectangle: ≈ 5 ms instead of
    ≈ 60 ms, which keeps the view well under its 150 ms budget on a loaded machine.
    """

    MIN_LABEL_PX = 8  # a smaller font (pixels per em; its digits ~5 px tall) is unreadable: the cells go unlabelled
    MARGIN = 0.1  # share of a cell kept grey on each side of the widest label (1 pixel at least): labels stay apart
    HEIGHT = 0.6  # a label's ink is at most this share of its cell's height

    labelsShown = Signal(bool)  # after a full draw, when it changes: whether the cells on screen carry their numbers

    def __init__(self) -> None:
        super().__init__(Figure(figsize=(6, 6), layout="constrained"))
        self.ax = self.figure.add_subplot(111)
        self.im = _CellsImage(self.ax, self)
        self.labels_shown: bool | None = None
        self.ax.add_image(self.im)
        self.ax.set_xlim(-0.5, 27.5)
        self.ax.set_ylim(27.5, -0.5)
        self.ax.set_aspect("equal")
        self.ax.set_xticks(range(0, 28, 4))
        self.ax.set_yticks(range(0, 28, 4))
        self.ax.tick_params(labelsize=7)
        self._glyphs_by_px: dict[int, _GlyphCache] = {}
        self._atlas: dict[tuple[bool, int], np.ndarray] = {}
        self.values = np.zeros((28, 28), np.uint8)
        self.rescaled = False
        self._dark: bool | None = None  # the theme the figure was last fully drawn in
        self._background = None  # the figure as last fully drawn, for blitting
        self._label_px: dict[tuple[bool, int], int] = {}
        self.hover_text = ""  # the pixel under the mouse and its value, as its tooltip shows it
        self.mpl_connect("draw_event", self._save_background)
        self.mpl_connect("motion_notify_event", self._hover)

    def _glyphs(self, px: int) -> _GlyphCache:
        glyphs = self._glyphs_by_px.get(px)
        if glyphs is None:
            glyphs = self._glyphs_by_px[px] = _GlyphCache(px=px)
        return glyphs

    def label_px(self, rescaled: bool, cell: int) -> int:
        """:meth:`fit_label_px`, remembered per cell size."""
        px = self._label_px.get((rescaled, cell))
        if px is None:
            px = self._label_px[(rescaled, cell)] = self.fit_label_px(rescaled, cell)
        return px

    def labelled(self, rescaled: bool, cell: int) -> bool:
        """Whether cells of ``cell`` pixels carry their numbers: only at a readable size."""
        return self.label_px(rescaled, cell) >= self.MIN_LABEL_PX

    def screen_cell(self) -> int:
        """The cell size on screen, in device pixels (the axes' size over 28, rounded up as :meth:`render`)."""
        _, _, w, h = self.ax.bbox.bounds
        return -(-max(28, round(max(w, h))) // 28)

    def fit_label_px(self, rescaled: bool, cell: int) -> int:
        """The largest font size (pixels per em) at which every label fits a cell of ``cell`` pixels (or one
        pixel narrower: cells vary by one) with :attr:`MARGIN` on each side, at most :attr:`HEIGHT` tall.

        Where that is too small to read, a margin of one pixel is tried: at a 1366×768 screen's 18 px cells
        "255" is then 8 px, 2 px from its neighbour's label, instead of no numbers at all.
        """
        px = self._fit_label_px(rescaled, cell, max(1, round(self.MARGIN * cell)))
        return px if px >= self.MIN_LABEL_PX else max(px, self._fit_label_px(rescaled, cell, 1))

    def _fit_label_px(self, rescaled: bool, cell: int, margin: int) -> int:
        room_w, room_h = cell - 1 - 2 * margin, self.HEIGHT * cell
        labels = _extreme_labels(rescaled)
        ref = self._glyphs(64)  # the labels' ink at 64 px per em, scaled: where to start looking (hinting varies)
        h64, w64 = np.max([_ink_size(ref.get(t)) for t in labels], axis=0)

        def fits(px: int) -> bool:
            glyphs = self._glyphs(px)
            return all(w <= room_w and h <= room_h for h, w in map(_ink_size, map(glyphs.get, labels)))

        px = max(4, int(64 * min(room_w / w64, room_h / h64)))
        if fits(px):
            while fits(px + 1):
                px += 1
        else:
            while px > 4 and not fits(px):
                px -= 1
        return px

    def atlas(self, rescaled: bool, cell: int) -> np.ndarray:
        """``(256, cell, cell)`` uint8: each value's cell, a grey square with its label in black or white."""
        cells = self._atlas.get((rescaled, cell))
        if cells is None:
            glyphs = self._glyphs(self.label_px(rescaled, cell)) if self.labelled(rescaled, cell) else None
            cells = np.empty((256, cell, cell), np.uint8)
            for v in range(256):
                cell_img = np.full((cell, cell), v / 255.0, np.float32)
                if glyphs is None:  # too small to read: a plain grey cell (hovering it shows its value)
                    cells[v] = np.round(cell_img * 255)
                    continue
                mask = glyphs.get(cell_label(v, rescaled))
                h, w = min(mask.shape[0], cell), min(mask.shape[1], cell)
                top, left = (cell - h) // 2, (cell - w) // 2
                ink = 0.0 if v > 255 / 2.5 else 1.0  # dark text on light cells, light text on dark ones
                region = cell_img[top : top + h, left : left + w]
                region += (ink - region) * mask[:h, :w]
                cells[v] = np.round(cell_img * 255)
            if len(self._atlas) >= 6:  # sizes seen while the window was resized: keep the latest few
                self._atlas.pop(next(iter(self._atlas)))
            self._atlas[(rescaled, cell)] = cells
        return cells

    def render(self, w: int, h: int) -> np.ndarray:
        """``(h, w)`` uint8: the 28×28 cells filling ``w``×``h`` pixels, labels at that cell size."""
        cell = -(-max(w, h) // 28)  # ceil: a narrower cell is cropped (see _cell_map), never stretched
        full = self.atlas(self.rescaled, cell)[self.values].transpose(0, 2, 1, 3).reshape(28 * cell, 28 * cell)
        return full[_cell_map(h, cell)[:, None], _cell_map(w, cell)[None, :]]

    def _save_background(self, event: object) -> None:
        if self.is_saving():  # an export's draw, at its own DPI: neither the screen's background nor its cells
            return
        self._background = self.copy_from_bbox(self.figure.bbox)
        self._sync_labels()

    def _sync_labels(self) -> None:
        """Say (on a change) whether the cells on screen carry their numbers: at a size, raw and /255 may differ."""
        shown = self.labelled(self.rescaled, self.screen_cell())
        if shown != self.labels_shown:
            self.labels_shown = shown
            self.labelsShown.emit(shown)

    def resizeEvent(self, event) -> None:
        self._background = None  # saved at the old size: the next selection draws in full
        super().resizeEvent(event)

    def show_image(self, img: np.ndarray, rescaled: bool, dark: bool) -> None:
        self.values, self.rescaled = np.asarray(img, np.uint8), rescaled
        self.im.stale = True
        if self._background is None or dark != self._dark:
            self._dark = dark
            fg = _style(self.figure, dark)
            self.ax.tick_params(colors=fg)
            self.draw_idle()  # full draw (layout, ticks); its draw_event saves the background
            return
        if not self._paint_direct():
            self.restore_region(self._background)
            self.ax.draw_artist(self.im)
            self.blit(self.ax.bbox)
        self._sync_labels()  # the /255 box may have changed what fits

    def _paint_direct(self) -> bool:
        """Write the cells into the Agg buffer over the axes (inside its frame) and blit; False if it cannot."""
        renderer = getattr(self, "renderer", None)
        if renderer is None:
            return False
        buf = np.asarray(renderer.buffer_rgba())
        if not buf.flags.writeable or buf.ndim != 3:
            return False
        height = buf.shape[0]
        x0, y0, w, h = self.ax.bbox.bounds
        left, right = int(round(x0)), int(round(x0 + w))
        top, bottom = height - int(round(y0 + h)), height - int(round(y0))
        if left < 0 or top < 0 or right > buf.shape[1] or bottom > height or min(right - left, bottom - top) < 56:
            return False
        grey = self.render(right - left, bottom - top)[1:-1, 1:-1]  # one pixel in from each edge: the frame stays
        region = buf[top + 1 : bottom - 1, left + 1 : right - 1]
        region[..., :3] = grey[..., None]
        region[..., 3] = 255
        self.blit(self.ax.bbox)
        return True

    def cell_text(self, y: int, x: int) -> str:
        return cell_label(int(self.values[y, x]), self.rescaled)

    def _hover(self, event: object) -> None:
        """Over a cell whose number is not drawn (too small to read), its value as a tooltip."""
        x, y = getattr(event, "xdata", None), getattr(event, "ydata", None)
        if getattr(event, "inaxes", None) is not self.ax or x is None or y is None or self.labelled(self.rescaled, self.screen_cell()):
            if self.hover_text:
                self.hover_text = ""
                QToolTip.hideText()
            return
        col, row = min(27, max(0, int(round(x)))), min(27, max(0, int(round(y))))
        text = f"row {row}, column {col}: {self.cell_text(row, col)}"
        if text != self.hover_text:
            self.hover_text = text
            gui = getattr(event, "guiEvent", None)
            pos = gui.globalPosition().toPoint() if gui is not None else self.mapToGlobal(self.rect().center())
            QToolTip.showText(pos, text, self)
