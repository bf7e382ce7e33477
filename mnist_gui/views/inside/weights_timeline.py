"""Weights as they learn: the first-layer templates of 64 fixed units, one snapshot per epoch, with a slider."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from mnist_gui.views.inside.common import ImageView, Panel, diverging_lut, tile

log = logging.getLogger(__name__)

class WeightsTimeline(Panel):
    """The snapshots of the current run, with a slider back through them."""

    def __init__(self, on_error: Callable[[str, str], None], parent: QWidget | None = None) -> None:
        super().__init__("Weights as they learn", on_error, parent)
        self.view = ImageView()
        self.view.setToolTip("First-layer weights of 64 units: red pixels raise the unit, blue ones lower it")
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
        self.caption = QLabel("Train a model (Train tab): the first-layer templates of 64 units appear here each epoch.")
        self.caption.setWordWrap(True)
        self.body.addWidget(self.caption)
        self.snapshots: list[tuple[int, np.ndarray]] = []
        self._count = 0  # how many snapshots were shown last (the list is the Inside tab's, and grows)
        self._lut = diverging_lut()

    def set_dark(self, dark: bool) -> None:
        self.view.setBackground("#1e1f22" if dark else "#ffffff")

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
        self.caption.setText("Each square: one unit's weights from the 28×28 input (red +, blue −), "
                             "each scaled to its own range; drag the slider to go back through the epochs.")

    def _show(self, i: int) -> None:
        if not 0 <= i < len(self.snapshots):
            return
        epoch, pics = self.snapshots[i]
        lim = np.abs(pics).reshape(len(pics), -1).max(axis=1)
        scaled = pics / np.where(lim > 0, lim, 1.0)[:, None, None]  # each unit on its own scale: shapes, not sizes
        self.view.set_image(tile(scaled, 8, 2, fill=0.0), self._lut, (-1.0, 1.0))
        # epochs arrive 0-based (Keras'), people count from 1
        self.epoch_label.setText(f"after epoch {epoch + 1} (of {self.snapshots[-1][0] + 1} so far)")
