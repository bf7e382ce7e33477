"""The Dataset tab's details pane: the selected image's label, one-hot vector and predictions (the active
model's and, when set, the compare model's) over the notebook's pixel-value figure; the first six training
images; the confusion matrix. matplotlib is imported only when the pane is first shown (≈ 0.4 s)."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from mnist_gui.views.dataset.confusion import ConfusionPanel

if TYPE_CHECKING:
    from mnist_gui.views.figures import FirstSixCanvas, PixelCanvas

WRONG = "<span style='color:#e65040'>✗</span>"


def prediction_line(who: str, probs: np.ndarray, label: int) -> str:
    """'predicted 7 ✓ (7: 99.1%, 1: 0.5%, 9: 0.2%)' as rich text; ``who`` names the model when two are shown."""
    p = int(probs.argmax())
    mark = "✓" if p == label else WRONG
    top3 = ", ".join(f"{d}: {probs[d]:.1%}" for d in np.argsort(probs)[::-1][:3])
    return f"{who}predicted <b>{p}</b> {mark} &nbsp; ({top3})"


class DetailsPane(QTabWidget):
    """Pixel values (with the info line and Send to canvas), First six, Confusion matrix; "Save PNG…"
    beside the tabs (as on every Inside panel) saves the figure of the page showing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixel_canvas: PixelCanvas | None = None
        self.first_six: FirstSixCanvas | None = None
        self.pixel_page = QWidget()
        self.pixel_layout = QVBoxLayout(self.pixel_page)
        self.rescale_box = QCheckBox("show rescaled values (/255)")
        self.info = QLabel("Select an image")
        self.info.setTextFormat(Qt.RichText)
        self.info.setWordWrap(True)
        self.send_btn = QPushButton("Send to canvas")
        self.send_btn.setToolTip("Put this image on the Draw tab")
        # Beside the tabs, not on one page: it exports whichever page is showing (the confusion matrix as seen).
        self.export_btn = QPushButton("Save PNG…")
        self.export_btn.setToolTip("Save the figure on this page as a PNG image")
        self.setCornerWidget(self.export_btn, Qt.TopRightCorner)
        # Said only while the cells are too small for their numbers (a small window): where the values went.
        self.values_hint = QLabel("Too small for the values: hover a pixel to read it")
        self.values_hint.setWordWrap(True)
        self.values_hint.setEnabled(False)  # the palette's quieter text: a note, not a control
        self.values_hint.hide()
        row = QHBoxLayout()
        row.addWidget(self.rescale_box)
        row.addStretch(1)
        row.addWidget(self.values_hint)
        row.addWidget(self.send_btn)
        self.pixel_layout.addLayout(row)
        self.pixel_layout.addWidget(self.info)
        self.first_six_page = QWidget()
        self.first_six_layout = QVBoxLayout(self.first_six_page)
        self.first_six_layout.addWidget(QLabel("The notebook's step 2: the first six training images, labels as titles"))
        self.confusion = ConfusionPanel()
        self.addTab(self.pixel_page, "Pixel values")
        self.addTab(self.first_six_page, "First six")
        self.addTab(self.confusion, "Confusion matrix")
        self._image = np.zeros((28, 28), np.uint8)
        self._dark = False

    @property
    def figures_ready(self) -> bool:
        return self.pixel_canvas is not None

    def ensure_figures(self) -> None:
        if self.pixel_canvas is not None:
            return
        from mnist_gui.views.figures import FirstSixCanvas, PixelCanvas  # matplotlib: ~0.4 s

        self.pixel_canvas = PixelCanvas()
        self.pixel_canvas.labelsShown.connect(lambda shown: self.values_hint.setVisible(not shown))
        self.pixel_layout.insertWidget(1, self.pixel_canvas, 1)
        self.first_six = FirstSixCanvas()
        self.first_six_layout.addWidget(self.first_six, 1)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        if self.pixel_canvas is not None:
            self.pixel_canvas.show_image(self._image, self.rescale_box.isChecked(), dark)

    def show_pixels(self, img: np.ndarray) -> None:
        self._image = img
        if self.pixel_canvas is not None:
            self.pixel_canvas.show_image(img, self.rescale_box.isChecked(), self._dark)

    def show_first_six(self, images: np.ndarray, labels: np.ndarray) -> None:
        if self.first_six is not None:
            self.first_six.show_images(images, labels, self._dark)

    def show_info(self, header: str, label: int, active: np.ndarray | None, compare: np.ndarray | None = None,
                  compare_name: str = "", active_name: str = "") -> None:
        """The info line: ``header``, label and one-hot; each model's prediction when there is one, named as the
        Draw tab names them ("MLP · active model", "CNN")."""
        onehot = " ".join("1" if d == label else "0" for d in range(10))
        html = f"{header} &nbsp; label <b>{label}</b> &nbsp; one-hot <code>[{onehot}]</code>"
        if active is not None:
            who = f"{active_name} · active model " if active_name else "active model "
            html += "<br>" + prediction_line(who if compare is not None else "", active, label)
        if compare is not None:
            html += "<br>" + prediction_line(f"{compare_name} ", compare, label)
            if active is not None and int(active.argmax()) != int(compare.argmax()):
                html += " &nbsp; <b>— the two disagree</b>"
        self.info.setText(html)

    def current_figure(self, which: str | None) -> object:
        """What "Save PNG…" saves (``which``: "pixels", "first_six", "confusion"; None: the page showing):
        a matplotlib figure, or for the confusion matrix (a table) its picture with the same ``savefig``."""
        self.ensure_figures()
        if which is None:
            which = {self.first_six_page: "first_six", self.confusion: "confusion"}.get(self.currentWidget(), "pixels")
        if which == "confusion":
            return WidgetPicture(self.confusion)
        return (self.first_six if which == "first_six" else self.pixel_canvas).figure  # type: ignore[union-attr]


class WidgetPicture:
    """A widget as a figure to export: ``savefig(file, format="png", dpi=…)`` writes the widget as drawn (at
    the screen's resolution, ``dpi`` ignored: a table is text, not a plot to re-render), like a figure's."""

    def __init__(self, widget: QWidget) -> None:
        self.widget = widget

    def savefig(self, f: BinaryIO, format: str = "png", dpi: float | None = None) -> None:
        if format != "png":
            raise ValueError(f"only PNG, not {format!r}")
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.WriteOnly)
        if not self.widget.grab().save(buf, "PNG"):
            raise ValueError("the picture could not be encoded as PNG")
        f.write(bytes(data))
