"""Live pyqtgraph plots of loss and accuracy (imported only when the Train tab first shows), with the curves of
earlier runs overlaid for comparison (TensorBoard-style: each run its own colour, its best epoch marked).

An empty plot says what it will show; the x axis counts whole epochs from 0 (batch points lie between them);
the key to the curves is one line under both plots, never a box over the data. Accuracy is drawn in percent,
as the app states it everywhere else; the histories the plots are given stay in fractions."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from mnist_gui.views.theme import chart_colors
from mnist_gui.views.train.palette import run_color

COLORS = {"batch": (120, 150, 220), "train": (38, 99, 221), "val": (230, 120, 30)}
HINTS = {"loss": "Train to see the loss per epoch", "accuracy": "Train to see the accuracy per epoch"}
SCALE = {"loss": 1.0, "accuracy": 100.0}  # what a plot multiplies its values by: accuracy is shown in percent


class EpochAxis(pg.AxisItem):
    """An epoch axis: ticks on whole epochs only (pyqtgraph would label a 1-epoch run 0.6, 0.8, 1.2 …)."""

    def tickSpacing(self, lo: float, hi: float, size: float) -> list[tuple[float, float]]:
        levels = [(s, o) for s, o in super().tickSpacing(lo, hi, size) if s >= 1]
        return levels or ([(1.0, 0.0)] if hi != lo else [])


def ema(values: list[float], alpha: float = 0.3) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    acc = None
    for i, v in enumerate(values):
        acc = v if acc is None or not np.isfinite(acc) else (1 - alpha) * acc + alpha * v
        out[i] = acc
    return out


def _swatch(color: tuple[int, int, int], mark: str = "", dashed: bool = False) -> str:
    """A legend sample in rich text: a line (or dashes) in ``color``, with ``mark`` (a symbol) on it."""
    rgb = "rgb({},{},{})".format(*color)
    line = "╍╍" if dashed else "━"
    return f"<span style='color:{rgb}'>{line}{mark}{line}</span>"


def _count(item: pg.PlotDataItem) -> int:
    x = item.getData()[0]
    return 0 if x is None else len(x)


def short_title(run: object) -> str:
    """A legend label: the run's name, else its architecture and start time (ids are long)."""
    name = getattr(run, "name", "")
    if name:
        return name
    created = getattr(run, "created", None)
    # to the second, as the Runs list's Date column: two runs started in one minute are told apart
    when = created.astimezone().strftime("%d %b %H:%M:%S") if created is not None else getattr(run, "title", "run")
    return f"{str(getattr(run, 'arch', '')).upper()} {when}".strip()


class TrainingPlots(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        layout = QHBoxLayout()
        outer.addLayout(layout, 1)
        self.loss_plot = pg.PlotWidget(title="Loss", axisItems={"bottom": EpochAxis("bottom")})
        self.acc_plot = pg.PlotWidget(title="Accuracy (%)", axisItems={"bottom": EpochAxis("bottom")})
        self.curves = {}
        self.hints: dict[str, pg.TextItem] = {}
        self._anchors: dict[str, pg.PlotCurveItem] = {}
        for name, plot in (("loss", self.loss_plot), ("accuracy", self.acc_plot)):
            plot.setLabel("bottom", "epoch")
            for axis in ("bottom", "left"):  # epochs and % are never "×0.001": no SI prefix on a narrow range
                plot.getAxis(axis).enableAutoSIPrefix(False)
            self.curves[name] = {
                "batch": plot.plot([], [], pen=pg.mkPen(COLORS["batch"], width=1)),
                "train": plot.plot([], [], pen=pg.mkPen(COLORS["train"], width=2), symbol="o", symbolSize=6,
                                   symbolBrush=COLORS["train"]),
                "val": plot.plot([], [], pen=pg.mkPen(COLORS["val"], width=2), symbol="s", symbolSize=6,
                                 symbolBrush=COLORS["val"]),
            }
            # An invisible point at epoch 0 (at a y the data has): the x axis starts where training starts.
            self._anchors[name] = pg.PlotCurveItem(pen=pg.mkPen(None))
            plot.addItem(self._anchors[name])
            # The empty plot's hint, kept in the middle of the view (it is no data: autorange ignores it).
            hint = self.hints[name] = pg.TextItem(HINTS[name], color="#6b6d72", anchor=(0.5, 0.5))
            plot.getViewBox().addItem(hint, ignoreBounds=True)
            plot.getViewBox().sigRangeChanged.connect(lambda vb, *_, h=hint: h.setPos(vb.viewRect().center()))
            hint.setPos(plot.getViewBox().viewRect().center())
            layout.addWidget(plot)
        # The key to the curves: one line under both plots (both show the same series), outside the data.
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setAlignment(Qt.AlignCenter)
        # Not wrapped (a wrapped label's height-for-width took room from the log), and never widening the window.
        self.legend.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.legend.setMinimumHeight(self.legend.fontMetrics().height())  # no jump when it fills
        outer.addWidget(self.legend)
        self._overlay_items: list = []
        self._overlay_names: list[tuple[tuple[int, int, int], str]] = []
        self._epoch_keys: dict[str, tuple] = {}  # per plot: the history it shows, to re-set epoch points only on change
        self._shown: dict[str, tuple] = {}  # per plot: (has data, epoch-0 anchor's y) as last shown: restyle on change only
        self._show_empty()

    def set_waiting(self, waiting: bool) -> None:
        """While a job runs and no point is drawn yet the empty plots say what comes, not "Train to see…"."""
        for name, hint in self.hints.items():
            hint.setText("The first points appear during epoch 1…" if waiting else HINTS[name])

    def set_dark(self, dark: bool) -> None:
        bg, fg = chart_colors(dark)
        for plot in (self.loss_plot, self.acc_plot):
            plot.setBackground(bg)
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setPen(fg)
                ax.setTextPen(fg)
            plot.setTitle(plot.plotItem.titleLabel.text, color=fg)
        for hint in self.hints.values():
            hint.setColor("#9a9ca3" if dark else "#6b6d72")

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
            self.curves[name]["batch"].setData(x, y * SCALE[name])
            if key != self._epoch_keys.get(name):
                self._epoch_keys[name] = key
                for curve, hist_key in (("train", name), ("val", f"val_{name}")):
                    ys = np.asarray(history.get(hist_key, []), dtype=float) * SCALE[name]
                    self.curves[name][curve].setData(np.arange(1, len(ys) + 1, dtype=float), ys)
        self._show_empty()

    def set_overlays(self, runs: list) -> None:
        """Show earlier runs beside the live curves: validation (solid) and training (dashed) per epoch, best epoch starred.

        ``runs``: RunRecord-like objects: ``history`` (dict of lists), ``best_epoch`` (1-based, 0 = none), ``name``,
        ``arch`` and ``created`` (for the legend).
        """
        for plot, item in self._overlay_items:
            plot.removeItem(item)
        self._overlay_items = []
        self._overlay_names = [(run_color(i), short_title(run)) for i, run in enumerate(runs)]
        for i, run in enumerate(runs):
            color = run_color(i)
            for name, plot in (("loss", self.loss_plot), ("accuracy", self.acc_plot)):
                val = np.asarray(run.history.get(f"val_{name}", []), dtype=float) * SCALE[name]
                train = np.asarray(run.history.get(name, []), dtype=float) * SCALE[name]
                items = []
                if len(val):
                    items.append(plot.plot(np.arange(1, len(val) + 1, dtype=float), val, pen=pg.mkPen(color, width=2)))
                if len(train):
                    items.append(plot.plot(np.arange(1, len(train) + 1, dtype=float), train,
                                           pen=pg.mkPen(color, width=1, style=Qt.DashLine)))
                best = int(getattr(run, "best_epoch", 0) or 0)
                if 1 <= best <= len(val):
                    items.append(plot.plot([float(best)], [float(val[best - 1])], pen=None, symbol="star", symbolSize=14,
                                           symbolBrush=color, symbolPen=pg.mkPen(color)))
                self._overlay_items += [(plot, it) for it in items]
        self._show_empty()

    def _points(self, name: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (x, y) data the plot ``name`` holds: the live curves and the overlaid runs."""
        plot = self.loss_plot if name == "loss" else self.acc_plot
        items = [*self.curves[name].values(), *(it for p, it in self._overlay_items if p is plot)]
        out = []
        for item in items:
            x, y = item.getData()
            if x is not None and len(x):
                out.append((np.asarray(x, dtype=float), np.asarray(y, dtype=float)))
        return out

    def _show_empty(self) -> None:
        """Hints in empty plots; tick values, grid and the key only where there is data; the x axis from epoch 0."""
        shown = False
        for name, plot in (("loss", self.loss_plot), ("accuracy", self.acc_plot)):
            ys = [y[np.isfinite(y)] for _, y in self._points(name)]
            ys = [y for y in ys if len(y)]
            # The epoch-0 anchor only while batch points start there: a finished run's epoch points start at 1.
            batch = _count(self.curves[name]["batch"]) > 0
            state = (bool(ys), float(ys[0][0]) if ys and batch else None)
            shown = shown or state[0]
            if self._shown.get(name) == state:
                continue  # called at every plot refresh: axes and grid are re-laid out only when this changes
            if self._shown.get(name, (None,))[0] != state[0]:
                self.hints[name].setVisible(not state[0])
                for axis in ("left", "bottom"):
                    plot.getAxis(axis).setStyle(showValues=state[0], tickLength=5 if state[0] else 0)
                plot.showGrid(x=state[0], y=state[0], alpha=0.25)
            self._shown[name] = state
            self._anchors[name].setData(*(([0.0], [state[1]]) if state[1] is not None else ([], [])))
        self.legend.setText(self._legend_html() if shown else "")

    def _legend_html(self) -> str:
        """The key to the series the plots show (after a run, only its epoch points are left: no batch entry)."""
        entries = {"batch": f"{_swatch(COLORS['batch'])} batch (running)",
                   "train": f"{_swatch(COLORS['train'], '●')} train (epoch)",
                   "val": f"{_swatch(COLORS['val'], '■')} validation"}
        live = [text for key, text in entries.items() if any(_count(c[key]) for c in self.curves.values())]
        lines = ["&nbsp;&nbsp;&nbsp;".join(live)] if live else []
        if self._overlay_names:
            runs = " ".join(f"{_swatch(color)} {html.escape(name)}" for color, name in self._overlay_names)
            lines.append(f"Earlier runs (solid: validation, {_swatch((128, 128, 128), dashed=True)} train, ★ best epoch): {runs}")
        return "<br>".join(lines)

    def overlay_count(self) -> int:
        """How many overlay curves and markers are shown (tests)."""
        return len(self._overlay_items)

    def point_count(self) -> int:
        """How many points the curves hold (tests check that plots got data)."""
        return sum(_count(c) for d in self.curves.values() for c in d.values())
