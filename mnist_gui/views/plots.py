"""Live pyqtgraph plots of loss and accuracy (imported only when the Train tab first shows), with the curves of
earlier runs overlaid for comparison (TensorBoard-style: each run its own colour, its best epoch marked)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from mnist_gui.views.train.palette import run_color

COLORS = {"batch": (120, 150, 220), "train": (38, 99, 221), "val": (230, 120, 30)}


def ema(values: list[float], alpha: float = 0.3) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    acc = None
    for i, v in enumerate(values):
        acc = v if acc is None or not np.isfinite(acc) else (1 - alpha) * acc + alpha * v
        out[i] = acc
    return out


def short_title(run: object) -> str:
    """A legend label: the run's name, else its architecture and start time (ids are long)."""
    name = getattr(run, "name", "")
    if name:
        return name
    created = getattr(run, "created", None)
    when = created.astimezone().strftime("%d %b %H:%M") if created is not None else getattr(run, "title", "run")
    return f"{str(getattr(run, 'arch', '')).upper()} {when}".strip()


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
            # A translucent legend box: with several runs overlaid it lies over curves, which stay visible through it.
            plot.addLegend(offset=(-10, 10) if name == "loss" else (-10, -40), brush=pg.mkBrush(128, 128, 128, 40))
            self.curves[name] = {
                "batch": plot.plot([], [], pen=pg.mkPen(COLORS["batch"], width=1), name="batch (running)"),
                "train": plot.plot([], [], pen=pg.mkPen(COLORS["train"], width=2), symbol="o", symbolSize=6,
                                   symbolBrush=COLORS["train"], name="train (epoch)"),
                "val": plot.plot([], [], pen=pg.mkPen(COLORS["val"], width=2), symbol="s", symbolSize=6,
                                 symbolBrush=COLORS["val"], name="validation"),
            }
            layout.addWidget(plot)
        self._overlay_items: list = []
        self._epoch_keys: dict[str, tuple] = {}  # per plot: the history it shows, to re-set epoch points only on change

    def set_dark(self, dark: bool) -> None:
        bg, fg = ("#1e1f22", "#dfe1e5") if dark else ("#ffffff", "#1c1c1e")
        for plot in (self.loss_plot, self.acc_plot):
            plot.setBackground(bg)
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setPen(fg)
                ax.setTextPen(fg)
            plot.setTitle(plot.plotItem.titleLabel.text, color=fg)

    PLOTS = ("loss", "accuracy")

    def update_curves(self, bx: list[float], bloss: list[float], bacc: list[float], history: dict, smooth: bool,
                      names: tuple[str, ...] = PLOTS) -> None:
        """Give the curves of the plots in ``names`` their data (both by default)."""
        x = np.asarray(bx, dtype=float)
        # Epoch points change once an epoch: re-set them only then (each setData re-ranges and repaints).
        key = (id(history), *(len(v) for v in history.values()))
        for name, values in (("loss", bloss), ("accuracy", bacc)):
            if name not in names:
                continue
            y = ema(values) if smooth and values else np.asarray(values, dtype=float)
            self.curves[name]["batch"].setData(x, y)
            if key != self._epoch_keys.get(name):
                self._epoch_keys[name] = key
                for curve, hist_key in (("train", name), ("val", f"val_{name}")):
                    ys = history.get(hist_key, [])
                    self.curves[name][curve].setData(np.arange(1, len(ys) + 1, dtype=float), np.asarray(ys, dtype=float))

    def set_overlays(self, runs: list) -> None:
        """Show earlier runs beside the live curves: validation (solid) and training (dashed) per epoch, best epoch starred.

        ``runs``: RunRecord-like objects: ``history`` (dict of lists), ``best_epoch`` (1-based, 0 = none), ``name``,
        ``arch`` and ``created`` (for the legend).
        """
        from PySide6.QtCore import Qt

        for plot, item in self._overlay_items:
            plot.removeItem(item)
        self._overlay_items = []
        for i, run in enumerate(runs):
            color = run_color(i)
            for name, plot in (("loss", self.loss_plot), ("accuracy", self.acc_plot)):
                val = np.asarray(run.history.get(f"val_{name}", []), dtype=float)
                train = np.asarray(run.history.get(name, []), dtype=float)
                items = []
                if len(val):
                    items.append(plot.plot(np.arange(1, len(val) + 1, dtype=float), val, pen=pg.mkPen(color, width=2),
                                           # one legend (the loss plot's) names the runs: the same colours in both
                                           name=short_title(run) if name == "loss" else None))
                if len(train):
                    items.append(plot.plot(np.arange(1, len(train) + 1, dtype=float), train,
                                           pen=pg.mkPen(color, width=1, style=Qt.DashLine)))
                best = int(getattr(run, "best_epoch", 0) or 0)
                if 1 <= best <= len(val):
                    items.append(plot.plot([float(best)], [float(val[best - 1])], pen=None, symbol="star", symbolSize=14,
                                           symbolBrush=color, symbolPen=pg.mkPen(color)))
                self._overlay_items += [(plot, it) for it in items]

    def overlay_count(self) -> int:
        """How many overlay curves and markers are shown (tests)."""
        return len(self._overlay_items)

    def point_count(self) -> int:
        """How many points the curves hold (tests check that plots got data)."""
        return sum(len(c.getData()[0] if c.getData()[0] is not None else []) for d in self.curves.values() for c in d.values())
