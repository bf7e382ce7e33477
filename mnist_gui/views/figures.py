"""The notebook's matplotlib figures, embedded (imported only when the Dataset tab first shows).

The pixel-value view keeps one image and 784 text artists and only updates them on selection, so
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

    784 matplotlib Text artists take ≈ 600 ms to draw; instead the labels are composited (from cached
    FreeType glyphs) into one image shown with ``imshow``, so a selection redraws in a few milliseconds.
    """

    CELL = 30  # pixels per MNIST pixel in the composited image

    def __init__(self) -> None:
        super().__init__(Figure(figsize=(6, 6), layout="constrained"))
        self.ax = self.figure.add_subplot(111)
        n = 28 * self.CELL
        self.im = self.ax.imshow(np.zeros((n, n, 3), np.float32), interpolation="antialiased", extent=(-0.5, 27.5, 27.5, -0.5))
        self.ax.set_xticks(range(0, 28, 4))
        self.ax.set_yticks(range(0, 28, 4))
        self.ax.tick_params(labelsize=7)
        self.glyphs = _GlyphCache(px=11)
        self.values = np.zeros((28, 28), np.uint8)
        self.rescaled = False

    def compose(self) -> np.ndarray:
        """RGB float image: grey cells, each with its value in black or white for contrast."""
        c = self.CELL
        grey = self.values.astype(np.float32) / 255.0
        out = np.repeat(np.repeat(grey, c, axis=0), c, axis=1)
        for y in range(28):
            for x in range(28):
                v = int(self.values[y, x])
                mask = self.glyphs.get(cell_label(v, self.rescaled))
                h, w = mask.shape
                h, w = min(h, c), min(w, c)
                top, left = y * c + (c - h) // 2, x * c + (c - w) // 2
                ink = 0.0 if v > 255 / 2.5 else 1.0  # dark text on light cells, light text on dark ones
                region = out[top : top + h, left : left + w]
                m = mask[:h, :w]
                region += (ink - region) * m
        return np.repeat(out[:, :, None], 3, axis=2)

    def show_image(self, img: np.ndarray, rescaled: bool, dark: bool) -> None:
        self.values, self.rescaled = np.asarray(img, np.uint8), rescaled
        fg = _style(self.figure, dark)
        self.ax.tick_params(colors=fg)
        self.im.set_data(self.compose())
        self.draw_idle()

    def cell_text(self, y: int, x: int) -> str:
        return cell_label(int(self.values[y, x]), self.rescaled)
