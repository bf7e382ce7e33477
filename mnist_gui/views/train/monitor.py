"""The Train tab's monitor: progress bar with epoch/step/ETA/speed, the result line, the live pyqtgraph plots
(created on first show: pyqtgraph is not imported at start-up), the Keras-style log, and a "Loading
TensorFlow…" busy line. It only displays what the job controller reports; it starts nothing."""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton, QTabWidget, QVBoxLayout, QWidget,
)

log = logging.getLogger(__name__)

# During a job one plot redraws per tick, in turn: each every 2 s. A redraw took 25-40 ms of the GUI thread
# while TensorFlow loaded both cores (the longest event-loop blocks of a run), and its CPU is taken from TF.
PLOT_INTERVAL_MS = 1000
TRAINING_FINISH = "testing the best checkpoint…"  # a training run's work after its last batch


def steady(widget: QWidget, sample: str = "") -> None:
    """Updates of ``widget`` (twice a second while training) repaint it alone: its own background, so the
    widgets beneath are not repainted too, and for a label a fixed size (wide enough for ``sample``; ``set_text``
    widens it when a text needs more), so a new text does not re-lay out the whole window."""
    widget.setAutoFillBackground(True)
    if isinstance(widget, QLabel):
        text = widget.text()
        widget.setText(sample or text)  # measured as the label lays it out (QLabel adds a margin to the text)
        size = widget.sizeHint()
        widget.setText(text)
        widget.setFixedSize(max(size.width(), widget.sizeHint().width()), max(size.height(), widget.sizeHint().height()))


def set_text(label: QLabel, text: str) -> None:
    """``label.setText(text)`` for a ``steady`` label: widened (one re-layout) only if the text does not fit."""
    label.setText(text)
    if label.sizeHint().width() > label.width():
        label.setFixedWidth(label.sizeHint().width())


def fmt_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


class TrainingMonitor(QWidget):
    overlaysChanged = Signal()  # earlier runs shown beside the live curves, or no longer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: dict[str, list[float]] = {}
        self.batch_x: list[float] = []
        self.batch_loss: list[float] = []
        self.batch_acc: list[float] = []
        self.plots: Any = None
        self.overlays: list[Any] = []  # runs shown beside the live curves (RunRecord-like: history, best_epoch, title)
        self._dirty = False
        self._dark = False
        self._t_start = 0.0
        self._finishing = ""
        self._first: tuple[float, float] | None = None  # (time, epochs done) at a job's first batch report
        self._epochs = 1
        self._n_fit = 1
        self.last_step = (0, 0, 0)  # (epoch, step, steps) of the last batch shown

        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        # Busy line while TensorFlow loads: an indeterminate bar says something is happening.
        self.loading = QWidget()
        lh = QHBoxLayout(self.loading)
        lh.setContentsMargins(0, 0, 0, 0)
        self.loading_label = QLabel("Loading TensorFlow…")
        self.loading_bar = QProgressBar()
        self.loading_bar.setRange(0, 0)
        self.loading_bar.setMaximumWidth(160)
        self.loading_bar.setTextVisible(False)
        lh.addWidget(self.loading_label)
        lh.addWidget(self.loading_bar)
        lh.addStretch(1)
        self.loading.hide()
        v.addWidget(self.loading)

        prog = QGridLayout()
        self.progress = QProgressBar()
        # Idle, an empty bar reads as a text field: it says what it is for until a run starts.
        self.progress.setValue(0)
        self.progress.setFormat("No run yet — ▶ Train (Ctrl+T) starts one; its progress shows here")
        self.epoch_label = QLabel("Epoch –")
        self.step_label = QLabel("Step –")
        self.time_label = QLabel("Elapsed – · ETA –")
        self.speed_label = QLabel("– samples/s")
        self.result_label = QLabel("Test accuracy: –")
        f = QFont(self.font())
        f.setPointSize(f.pointSize() + 6)
        f.setBold(True)
        self.result_label.setFont(f)
        # Wrapped: a long outcome ("Stopped: … the active model stays") must not widen the window past the screen.
        self.result_label.setWordWrap(True)
        prog.addWidget(self.progress, 0, 0, 1, 4)
        samples = ("Epoch 10/10", "Step 375/375", "Elapsed 00:00 · ETA 00:00", "000,000 samples/s")
        self._steady = list(zip((self.epoch_label, self.step_label, self.time_label, self.speed_label), samples))
        for i, (w, sample) in enumerate(self._steady):
            steady(w, sample)
            prog.addWidget(w, 1, i, Qt.AlignLeft)
            prog.setColumnStretch(i, 1)  # the bar and the result line keep the full width; the labels sit in quarters
        steady(self.progress)
        # A stopped run's model is not made active on its own (unless it beats the active one): the user may.
        self.use_result_btn = QPushButton("Use this model", toolTip="Make the stopped run's best checkpoint the active model")
        self.use_result_btn.hide()
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_label, 1)
        result_row.addWidget(self.use_result_btn)
        prog.addLayout(result_row, 2, 0, 1, 4)
        v.addLayout(prog)

        self.strip_area = QVBoxLayout()  # the live test strip goes here (train/test_strip.py)
        v.addLayout(self.strip_area)
        self.plot_area = QWidget()
        self.plot_layout = QHBoxLayout(self.plot_area)
        self.plot_layout.setContentsMargins(0, 0, 0, 0)
        self.smooth = QCheckBox("Smooth batch curves")
        self.smooth.setChecked(False)  # Keras' batch values are already running means
        self.smooth.toggled.connect(self._redraw)  # at once, with or without a job running
        v.addWidget(self.plot_area, 3)
        v.addWidget(self.smooth)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.log.setMaximumBlockCount(5000)
        # The log shares its space with the Runs panel (the tab adds it): both fit a 768-pixel-high screen.
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.log, "Log")
        v.addWidget(self.bottom_tabs, 2)

        self.timer = QTimer(self)
        self.timer.setInterval(PLOT_INTERVAL_MS)
        self.timer.timeout.connect(self._refresh_next)
        self._stale: set[str] = set()  # plots whose data changed since they were last given it
        self._turn = 0

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            for label, sample in getattr(self, "_steady", ()):  # sized for the font they now have
                steady(label, sample)

    # --- TensorFlow loading -----------------------------------------------------------------------------
    def show_loading(self, on: bool, text: str = "Loading TensorFlow…") -> None:
        self.loading_label.setText(text)
        self.loading.setVisible(on)

    # --- plots -------------------------------------------------------------------------------------------
    def ensure_plots(self) -> None:
        """Create the pyqtgraph plots on first use (pyqtgraph is not imported at start-up)."""
        if self.plots is not None:
            return
        from mnist_gui.views.plots import TrainingPlots

        self.plots = TrainingPlots(self.plot_area)
        self.plots.set_dark(self._dark)
        self.plot_layout.addWidget(self.plots)
        self.plots.set_overlays(self.overlays)
        self.mark_dirty()
        self.refresh_plots()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        if self.plots is not None:
            self.plots.set_dark(dark)

    def set_overlays(self, runs: list[Any]) -> None:
        self.overlays = list(runs)
        if self.plots is not None:
            self.plots.set_overlays(self.overlays)
        self.overlaysChanged.emit()

    def mark_dirty(self) -> None:
        self._dirty = True

    def _redraw(self) -> None:
        self.mark_dirty()
        self.refresh_plots()

    def refresh_plots(self) -> None:
        """Both plots (after a job, on a new history); during a job the timer calls ``_refresh_next``."""
        if self.plots is None or not (self._dirty or self._stale):
            return
        self._dirty, self._stale = False, set()
        self.plots.update_curves(self.batch_x, self.batch_loss, self.batch_acc, self.history, self.smooth.isChecked())

    def _refresh_next(self) -> None:
        """One plot per tick, the two in turn: each event-loop turn paints one plot, not two."""
        if self.plots is None:
            return
        if self._dirty:
            self._dirty, self._stale = False, set(self.plots.PLOTS)
        if not self._stale:
            return
        self._turn = (self._turn + 1) % len(self.plots.PLOTS)
        name = self.plots.PLOTS[self._turn]
        if name not in self._stale:
            name = next(iter(self._stale))
        self._stale.discard(name)
        self.plots.update_curves(self.batch_x, self.batch_loss, self.batch_acc, self.history, self.smooth.isChecked(), (name,))

    def show_history(self, history: dict[str, list[float]]) -> None:
        self.history = history
        self.batch_x, self.batch_loss, self.batch_acc = [], [], []
        self.mark_dirty()
        self.refresh_plots()

    # --- a job's progress -----------------------------------------------------------------------------------
    def start(self, what: str, epochs: int, samples_per_epoch: int, finishing: str = TRAINING_FINISH) -> None:
        """A job begins: ``what`` heads the result line; ``finishing`` is what it still does after its last batch."""
        self._finishing = finishing
        self.ensure_plots()
        self.history = {}
        self.batch_x, self.batch_loss, self.batch_acc = [], [], []
        self.mark_dirty()
        self.refresh_plots()  # the last run's curves go now, not at the new job's first batch (seconds away)
        self.log.clear()
        self.result_label.setText(f"{what}…")
        self.use_result_btn.hide()
        self._epochs, self._n_fit = epochs, max(1, samples_per_epoch)
        self.last_step = (0, 0, 0)
        self.progress.setRange(0, epochs * 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        set_text(self.epoch_label, f"Epoch 1/{epochs}")
        set_text(self.step_label, "Step –")
        set_text(self.time_label, "Elapsed 0:00 · ETA –")
        set_text(self.speed_label, "– samples/s")
        self._t_start = time.perf_counter()
        self._first = None
        self.plots.set_waiting(True)
        self.timer.start()

    def append_log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict) -> None:
        self.last_step = (epoch, step, steps)
        x = epoch + step / steps
        self.batch_x.append(x)
        self.batch_loss.append(logs.get("loss", float("nan")))
        self.batch_acc.append(logs.get("accuracy", float("nan")))
        self._dirty = True
        self.progress.setValue(int(x * 1000))
        now = time.perf_counter()
        elapsed = now - self._t_start
        set_text(self.epoch_label, f"Epoch {epoch + 1}/{self._epochs}")
        set_text(self.step_label, f"Step {step}/{steps}")
        # Speed and ETA from the batches alone: the time before the first one (the untrained model's test,
        # building and tracing the step) is not repeated, and counting it made the first ETAs twice too long.
        if self._first is None:
            self._first = (now, x)
        t0, x0 = self._first
        # over a second at least: two reports handled together (a busy GUI thread) would make an absurd speed
        rate = (x - x0) / (now - t0) if now - t0 >= 1.0 and x > x0 else 0.0  # epochs a second
        if x >= self._epochs:  # the last batch: the last validation, then the best checkpoint on the test set
            eta_text = self._finishing
        else:
            eta_text = f"ETA {fmt_duration((self._epochs - x) / rate)}" if rate > 0 else "ETA –"
        set_text(self.time_label, f"Elapsed {fmt_duration(elapsed)} · {eta_text}")
        if rate > 0:
            set_text(self.speed_label, f"{rate * self._n_fit:,.0f} samples/s")

    def on_epoch(self, epoch: int, logs: dict, seconds: float) -> None:
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))
        self._dirty = True

    def finish(self, outcome: str) -> None:
        """A job is over: the bar and the labels say the same thing, and no ETA is left standing.

        ``outcome``: "done" (bar full), "stopped" or "failed" (bar left where the job ended, and says so).
        """
        epoch, step, steps = self.last_step
        elapsed = fmt_duration(time.perf_counter() - self._t_start)
        if outcome == "done":
            self.progress.setValue(self.progress.maximum())
            self.progress.setFormat("Done — %p%")
            set_text(self.epoch_label, f"Epoch {self._epochs}/{self._epochs}")
            set_text(self.step_label, f"Step {steps}/{steps}" if steps else "Step –")
        else:
            self.progress.setFormat(f"{outcome.capitalize()} at %p%")
            set_text(self.epoch_label, f"Epoch {epoch + 1}/{self._epochs}")
            set_text(self.step_label, f"{outcome.capitalize()} at step {step}/{steps}" if steps else outcome.capitalize())
        set_text(self.time_label, f"Elapsed {elapsed} · {outcome}")

    def stop_timer(self) -> None:
        self.timer.stop()
        if self.plots is not None:
            self.plots.set_waiting(False)
        self.refresh_plots()
