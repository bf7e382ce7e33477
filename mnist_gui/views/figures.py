"""The notebook's matplotlib figures, embedded (imported only when the Dataset tab first shows).

The pixel-value view keeps one image and 784 text artists and only updates them on selection, so
redrawing stays fast.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("QtAgg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


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


class PixelCanvas(FigureCanvasQTAgg):
    """The notebook's step 3: a zoomed 28×28 view with every pixel value written in its cell."""

    def __init__(self) -> None:
        super().__init__(Figure(figsize=(6, 6), layout="constrained"))
        self.ax = self.figure.add_subplot(111)
        self.im = self.ax.imshow(np.zeros((28, 28)), cmap="gray", vmin=0, vmax=255)
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        self.texts = [[self.ax.text(x, y, "", ha="center", va="center", fontsize=5.5) for x in range(28)] for y in range(28)]
        self.values = np.zeros((28, 28), np.uint8)
        self.rescaled = False

    def show_image(self, img: np.ndarray, rescaled: bool, dark: bool) -> None:
        """Update the picture and the 784 labels; text is white on dark cells, black on light ones."""
        self.values, self.rescaled = np.asarray(img, np.uint8), rescaled
        _style(self.figure, dark)
        self.im.set_data(self.values)
        thresh = 255 / 2.5
        for y in range(28):
            row = self.values[y]
            for x in range(28):
                v = int(row[x])
                t = self.texts[y][x]
                t.set_text((f"{v / 255:.1f}" if v else "0") if rescaled else str(v))
                t.set_color("black" if v > thresh else "white")
        self.draw_idle()

    def cell_text(self, y: int, x: int) -> str:
        return self.texts[y][x].get_text()
