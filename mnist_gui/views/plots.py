"""Live pyqtgraph plots of loss and accuracy (imported only when the Train tab first shows)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

COLORS = {"batch": (120, 150, 220), "train": (38, 99, 221), "val": (230, 120, 30)}


def ema(values: list[float], alpha: float = 0.3) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    acc = None
    for i, v in enumerate(values):
        acc = v if acc is None or not np.isfinite(acc) else (1 - alpha) * acc + alpha * v
        out[i] = acc
    return out


class TrainingPlots(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.loss_plot = pg.PlotWidget(title="Loss")
        self.acc_plot = pg.PlotWidget(title="Accuracy")
        self.curves = {}
        for name, plot in (("loss", self.loss_plot), ("accuracy", self.acc_plot)):
            plot.setLabel("bottom", "epoch")
            plot.showGrid(x=True, y=True, alpha=0.25)
            # loss falls from the top left, accuracy rises to the top right: keep the legend out of the way
            plot.addLegend(offset=(-10, 10) if name == "loss" else (-10, -40))
            self.curves[name] = {
                "batch": plot.plot([], [], pen=pg.mkPen(COLORS["batch"], width=1), name="batch (running)"),
                "train": plot.plot([], [], pen=pg.mkPen(COLORS["train"], width=2), symbol="o", symbolSize=6,
                                   symbolBrush=COLORS["train"], name="train (epoch)"),
                "val": plot.plot([], [], pen=pg.mkPen(COLORS["val"], width=2), symbol="s", symbolSize=6,
                                 symbolBrush=COLORS["val"], name="validation"),
            }
            layout.addWidget(plot)

    def set_dark(self, dark: bool) -> None:
        bg, fg = ("#1e1f22", "#dfe1e5") if dark else ("#ffffff", "#1c1c1e")
        for plot in (self.loss_plot, self.acc_plot):
            plot.setBackground(bg)
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setPen(fg)
                ax.setTextPen(fg)
            plot.setTitle(plot.plotItem.titleLabel.text, color=fg)

    _epoch_key: tuple = ()

    def update_curves(self, bx: list[float], bloss: list[float], bacc: list[float], history: dict, smooth: bool) -> None:
        x = np.asarray(bx, dtype=float)
        # Epoch points change once an epoch: re-set them only then (each setData re-ranges and repaints).
        key = (id(history), *(len(v) for v in history.values()))
        epochs_changed, self._epoch_key = key != self._epoch_key, key
        for name, values in (("loss", bloss), ("accuracy", bacc)):
            y = ema(values) if smooth and values else np.asarray(values, dtype=float)
            self.curves[name]["batch"].setData(x, y)
            if epochs_changed:
                for curve, hist_key in (("train", name), ("val", f"val_{name}")):
                    ys = history.get(hist_key, [])
                    self.curves[name][curve].setData(np.arange(1, len(ys) + 1, dtype=float), np.asarray(ys, dtype=float))

    def point_count(self) -> int:
        """How many points the curves hold (tests check that plots got data)."""
        return sum(len(c.getData()[0] if c.getData()[0] is not None else []) for d in self.curves.values() for c in d.values())
