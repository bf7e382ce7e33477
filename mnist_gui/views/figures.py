"""The notebook's matplotlib figures, embedded (imported only when the Dataset tab first shows).

The pixel-value view is one image composited from a per-value cell atlas and blitted on selection, so
redrawing stays fast.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure


def _style(fig: Figure, dark: bool) -> str:
    fg = "#dfe1e5" if dark else "#1c1c1e"
    fig.set_facecolor("#2b2d30" if dark else "#f6f6f7")
    return fg


class FirstSixCanvas(FigureCanvasQTAgg):
    """The notebook's step 2: the first six training images with their labels as titles."""

    def __init__(self) -> None:
        super().__init__(Figure(figsize=(6, 1.4), layout="constrained"))
        self.axes = self.figure.subplots(1, 6)
        self._dark = False

    def show_images(self, images: np.ndarray, labels: np.ndarray, dark: bool) -> None:
        fg = _style(self.figure, dark)
        for ax, img, lab in zip(self.axes, images, labels):
            ax.clear()
            ax.imshow(img, cmap="gray")
            ax.set_title(str(int(lab)), color=fg)
            ax.set_xticks([])
            ax.set_yticks([])
        self.draw_idle()


class _GlyphCache:
    """Each label string rendered once by FreeType (what Agg uses), as an alpha mask."""

    def __init__(self, px: int) -> None:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font

        self.font = FT2Font(font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans")))
        self.px = px
        self.cache: dict[str, np.ndarray] = {}

    def get(self, text: str) -> np.ndarray:
        mask = self.cache.get(text)
        if mask is None:
            self.font.set_size(self.px, 72)
            self.font.set_text(text, 0.0)
            self.font.draw_glyphs_to_bitmap(antialiased=True)
            mask = np.asarray(self.font.get_image(), dtype=np.float32) / 255.0
            self.cache[text] = mask
        return mask


def cell_label(value: int, rescaled: bool) -> str:
    """The text written in a pixel's cell."""
    return (f"{value / 255:.1f}" if value else "0") if rescaled else str(value)


class PixelCanvas(FigureCanvasQTAgg):
    """The notebook's step 3: a zoomed 28×28 view with every pixel value written in its cell.

    784 matplotlib Text artists take ≈ 600 ms to draw; instead each of the 256 possible cells (grey level
    plus its label, from cached FreeType glyphs) is rendered once into an atlas and an image is one gather
    from it. A full draw (first show, resize, theme, export) goes through matplotlib; a selection writes the
    cells, at the screen's own cell size, straight into the canvas' Agg buffer over the axes and blits that
    rectangle: ≈ 5 ms instead of ≈ 60 ms (matplotlib's image resampling alone took ≈ 20-40 ms), which keeps
    the view well under its 150 ms budget on a loaded machine.
    """

    CELL = 30  # pixels per MNIST pixel in the composited image

    def __init__(self) -> None:
        super().__init__(Figure(figsize=(6, 6), layout="constrained"))
        self.ax = self.figure.add_subplot(111)
        n = 28 * self.CELL
        self.im = self.ax.imshow(np.zeros((n, n, 4), np.uint8), interpolation="antialiased", extent=(-0.5, 27.5, 27.5, -0.5))
        self.ax.set_xticks(range(0, 28, 4))
        self.ax.set_yticks(range(0, 28, 4))
        self.ax.tick_params(labelsize=7)
        self.glyphs = _GlyphCache(px=11)
        self._glyphs_by_px: dict[int, _GlyphCache] = {11: self.glyphs}
        self._atlas: dict[tuple[bool, int], np.ndarray] = {}
        self.values = np.zeros((28, 28), np.uint8)
        self.rescaled = False
        self._dark: bool | None = None  # the theme the figure was last fully drawn in
        self._background = None  # the figure without the image, saved after each full draw, for blitting
        self.mpl_connect("draw_event", self._save_background)

    def atlas(self, rescaled: bool, cell: int | None = None) -> np.ndarray:
        """``(256, cell, cell)`` uint8: each value's cell, a grey square with its label in black or white."""
        c = cell or self.CELL
        cells = self._atlas.get((rescaled, c))
        if cells is None:
            px = max(5, round(11 * c / self.CELL))  # the label keeps its share of the cell at any size
            glyphs = self._glyphs_by_px.get(px) or self._glyphs_by_px.setdefault(px, _GlyphCache(px=px))
            cells = np.empty((256, c, c), np.uint8)
            for v in range(256):
                cell_img = np.full((c, c), v / 255.0, np.float32)
                mask = glyphs.get(cell_label(v, rescaled))
                h, w = min(mask.shape[0], c), min(mask.shape[1], c)
                top, left = (c - h) // 2, (c - w) // 2
                ink = 0.0 if v > 255 / 2.5 else 1.0  # dark text on light cells, light text on dark ones
                region = cell_img[top : top + h, left : left + w]
                region += (ink - region) * mask[:h, :w]
                cells[v] = np.round(cell_img * 255)
            self._atlas[(rescaled, c)] = cells
        return cells

    def compose(self) -> np.ndarray:
        """RGBA uint8 image of the 28×28 cells (one gather from the atlas)."""
        c = self.CELL
        grey = self.atlas(self.rescaled)[self.values].transpose(0, 2, 1, 3).reshape(28 * c, 28 * c)
        out = np.empty((28 * c, 28 * c, 4), np.uint8)
        out[..., :3] = grey[..., None]
        out[..., 3] = 255
        return out

    def _save_background(self, event: object) -> None:
        self._background = self.copy_from_bbox(self.figure.bbox)

    def resizeEvent(self, event) -> None:
        self._background = None  # saved at the old size: the next selection draws in full
        super().resizeEvent(event)

    def show_image(self, img: np.ndarray, rescaled: bool, dark: bool) -> None:
        self.values, self.rescaled = np.asarray(img, np.uint8), rescaled
        self.im.set_data(self.compose())
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
        cell = -(-max(right - left, bottom - top) // 28)  # ceil: sample down, never up
        full = self.atlas(self.rescaled, cell)[self.values].transpose(0, 2, 1, 3).reshape(28 * cell, 28 * cell)
        rows = np.arange(bottom - top) * (28 * cell) // (bottom - top)
        cols = np.arange(right - left) * (28 * cell) // (right - left)
        grey = full[rows[1:-1, None], cols[None, 1:-1]]  # one pixel in from each edge: the axes' frame stays
        region = buf[top + 1 : bottom - 1, left + 1 : right - 1]
        region[..., :3] = grey[..., None]
        region[..., 3] = 255
        self.blit(self.ax.bbox)
        return True

    def cell_text(self, y: int, x: int) -> str:
        return cell_label(int(self.values[y, x]), self.rescaled)
