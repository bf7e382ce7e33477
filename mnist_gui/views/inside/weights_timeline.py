"""Weights as they learn: the first layer's pictures (an MLP's Dense units over the 28×28 input, or a CNN's conv
filters; at most 64), one snapshot per epoch, with a slider. Before any run, the active model's own (as trained)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from mnist_gui.views.inside.common import ImageView, Panel, background, diverging_lut, tile

log = logging.getLogger(__name__)

EMPTY = ("Train a model (Train tab): its first layer's weights appear here each epoch (an MLP's units over the 28×28 "
         "input, a CNN's filters).")
SCRUB = "drag the slider to go back through the epochs."
BEFORE_A_RUN = "train a model (Train tab) to watch them form, epoch by epoch."


def describe(pics: np.ndarray, then: str = SCRUB) -> tuple[str, str]:
    """(caption, tooltip) for ``explain.first_layer_pictures`` of shape ``(n, h, w)``: 28×28 pictures are the
    templates of an MLP's first Dense layer, smaller ones the filters of a CNN's first conv layer. ``then`` ends
    the caption: what the reader can do next."""
    n, h, w = pics.shape
    scrub = f"each scaled to its own range; {then}"
    if (h, w) == (28, 28):
        return (f"Each square: one of {n} units of the first Dense layer, its weights from the 28×28 input "
                f"(red +, blue −), {scrub}",
                f"First Dense layer, {n} units: weights from the 28×28 input; red pixels raise the unit, blue ones lower it")
    return (f"Each square: one of {n} filters of the first conv layer, {h}×{w} weights slid over the image "
            f"(red +, blue −), {scrub}",
            f"First conv layer, {n} filters of {h}×{w}: red pixels raise the filter's response, blue ones lower it")


class WeightsTimeline(Panel):
    """The snapshots of the current run, with a slider back through them."""

    def __init__(self, on_error: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__("Weights as they learn", on_error, parent)
        self.view = ImageView()
        self.view.setToolTip("First-layer weights: red pixels raise the unit, blue ones lower it")
        self.body.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._show)
        self.epoch_label = QLabel("")
        row.addWidget(QLabel("Epoch"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)
        self.body.addLayout(row)
        self.caption = QLabel(EMPTY)
        self.caption.setWordWrap(True)
        self.body.addWidget(self.caption)
        self.snapshots: list[tuple[int, np.ndarray]] = []
        self.model_pictures: np.ndarray | None = None  # the active model's first layer: shown while no run has any
        self._count = 0  # how many snapshots were shown last (the list is the Inside tab's, and grows)
        self._lut = diverging_lut(False)

    def set_dark(self, dark: bool) -> None:
        self.view.setBackground(background(dark))
        self._lut = diverging_lut(dark)
        if self.snapshots:
            self._show(self.slider.value())
        else:
            self.show_model(self.model_pictures)

    def show_model(self, pictures: np.ndarray | None) -> None:
        """The active model's first-layer pictures (``explain.first_layer_pictures``), until a run sends its own."""
        self.model_pictures = pictures
        if self.snapshots:
            return
        if pictures is None:
            self.view.clear_image()
            self.epoch_label.setText("")
            self.caption.setText(EMPTY)
            return
        self._paint(pictures)
        self.epoch_label.setText("the active model, as trained")
        caption, tip = describe(pictures, BEFORE_A_RUN)
        self.caption.setText(caption)
        self.view.setToolTip(tip)

    def _paint(self, pics: np.ndarray) -> None:
        lim = np.abs(pics).reshape(len(pics), -1).max(axis=1)
        scaled = pics / np.where(lim > 0, lim, 1.0)[:, None, None]  # each unit on its own scale: shapes, not sizes
        self.view.set_image(tile(scaled, 8, 2, fill=0.0), self._lut, (-1.0, 1.0))  # gaps: 0, the background

    def show_snapshots(self, snapshots: list[tuple[int, np.ndarray]]) -> None:
        """Show a run's snapshots (``explain.add_weight_snapshot`` keeps the list; epochs may be skipped when
        throttled): the newest, unless the user scrubbed back to an earlier one."""
        follow = self._count == 0 or self.slider.value() == self._count - 1
        self.snapshots, self._count = snapshots, len(snapshots)
        if not snapshots:
            return
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(snapshots) - 1)
        self.slider.setEnabled(len(snapshots) > 1)
        self.slider.blockSignals(False)
        if follow:
            self.slider.setValue(len(snapshots) - 1)
        self._show(self.slider.value())
        caption, tip = describe(snapshots[-1][1])
        self.caption.setText(caption)
        self.view.setToolTip(tip)

    def _show(self, i: int) -> None:
        if not 0 <= i < len(self.snapshots):
            return
        epoch, pics = self.snapshots[i]
        self._paint(pics)
        # epochs arrive 0-based (Keras'), people count from 1
        self.epoch_label.setText(f"after epoch {epoch + 1} (of {self.snapshots[-1][0] + 1} so far)")
