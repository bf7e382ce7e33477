"""The Train tab: hyperparameters with presets, model summary, evaluate-untrained, Train/Stop with live
pyqtgraph plots, progress with ETA, a Keras-style log, keeping models (save, load, export), and
fine-tuning the active model on My digits (same worker, plots and log)."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThread, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
    QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QScrollArea, QSpinBox, QSplitter, QVBoxLayout, QWidget,
)

from mnist_gui.errors import ConfigError, UserError
from mnist_gui.ml.model import OPTIMIZERS, ModelSpec, summarize
from mnist_gui.ml.finetune import MIN_TUNE_DIGITS, FinetuneConfig
from mnist_gui.ml.training import TrainingConfig
from mnist_gui.views.finetune_panel import FinetunePanel
from mnist_gui.views.state import ActiveModel, AppState
from mnist_gui.views.threads import run_in_thread, start_worker

log = logging.getLogger(__name__)

PLOT_INTERVAL_MS = 200  # plots redraw at most 5 times a second (≤ 10 Hz; cheaper for TF on 2 cores)


def _fmt_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


class TrainTab(QWidget):
    message = Signal(str)  # status-bar text
    loadModelRequested = Signal()
    trainingFinished = Signal(object)  # TrainingResult (tests wait on it)
    finetuneFinished = Signal(object)  # FinetuneResult, pending the user's keep/discard
    trainingFailed = Signal(str)
    evaluated = Signal(float)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.worker = None
        self.thread: QThread | None = None
        self._eval_thread: QThread | None = None
        self.history: dict[str, list[float]] = {}
        self.batch_x: list[float] = []
        self.batch_loss: list[float] = []
        self.batch_acc: list[float] = []
        self._plots_dirty = False
        self._plots = None
        self._t_start = 0.0
        self._samples_done = 0
        self._dark = False
        self._epochs = 1
        self._what = "Training"
        self.pending_finetune: Any = None
        self.stopped_result: Any = None  # a stopped run's result the user may still make active ("Use this model")
        self._finetune_out: Path | None = None  # the running fine-tune's output: deleted unless the user keeps it
        self._stop_requested = False
        self._last_step = (0, 0, 0)  # (epoch, step, steps) of the last batch shown

        self._build_form()
        self._build_right()
        splitter = QSplitter(Qt.Horizontal)
        # The form column scrolls rather than forcing a tall window (1366×768 laptops).
        self.left_scroll = QScrollArea()
        self.left_scroll.setWidget(self.left)
        self.left_scroll.setWidgetResizable(True)
        self.left_scroll.setFrameShape(QScrollArea.NoFrame)
        self.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.left_scroll.setMinimumWidth(self.left.sizeHint().width() + 16)
        splitter.addWidget(self.left_scroll)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 700])
        QVBoxLayout(self).addWidget(splitter)

        self._plot_timer = QTimer(self)
        self._plot_timer.setInterval(PLOT_INTERVAL_MS)
        self._plot_timer.timeout.connect(self._refresh_plots)
        self.apply_preset("default")
        state.tfReady.connect(self._update_buttons)
        state.dataChanged.connect(self._update_buttons)
        state.modelChanged.connect(self._update_buttons)

    # --- form ---------------------------------------------------------------------------------------
    def _build_form(self) -> None:
        self.left = QWidget()
        lv = QVBoxLayout(self.left)
        form_box = QGroupBox("Hyperparameters")
        form = QFormLayout(form_box)
        self.preset = QComboBox()
        self.preset.addItems(["default", "notebook", "custom"])
        self.preset.setToolTip("notebook: exactly the notebook (RMSprop). default: same network, Adam + cosine decay + label smoothing")
        self.hidden = QLineEdit()
        self.hidden.setToolTip("Units of each hidden Dense layer, comma-separated (the notebook: 512, 512)")
        self.dropout = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2)
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        self.lr = QLineEdit()
        self.schedule = QComboBox()
        self.schedule.addItems(["constant", "cosine"])
        self.smoothing = QDoubleSpinBox(minimum=0.0, maximum=0.5, singleStep=0.05, decimals=2)
        self.batch_size = QSpinBox(minimum=1, maximum=60000)
        self.epochs = QSpinBox(minimum=1, maximum=1000)
        self.val_split = QDoubleSpinBox(minimum=0.01, maximum=0.99, singleStep=0.05, decimals=2)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.augment = QCheckBox("random affine + stroke width")
        self.augment.setToolTip("Distort training images on the fly (rotation, scale, shear, shift, thicker/thinner strokes)")
        self.limit = QSpinBox(minimum=0, maximum=60000, singleStep=1000)
        self.limit.setSpecialValueText("all 60,000")
        self.limit.setToolTip("Train on the first N images only (quick experiments); 0 = all")
        for label, w in (("Preset", self.preset), ("Hidden units", self.hidden), ("Dropout", self.dropout),
                         ("Optimizer", self.optimizer), ("Learning rate", self.lr), ("LR schedule", self.schedule),
                         ("Label smoothing", self.smoothing), ("Batch size", self.batch_size), ("Epochs", self.epochs),
                         ("Validation split", self.val_split), ("Seed", self.seed), ("Augmentation", self.augment),
                         ("Training images", self.limit)):
            form.addRow(label, w)
        self.form_error = QLabel("")
        self.form_error.setWordWrap(True)
        self.form_error.setStyleSheet("color: #d04040;")
        form.addRow(self.form_error)
        self.preset.currentTextChanged.connect(self.apply_preset)
        for w in (self.hidden, self.lr):
            w.textChanged.connect(self._form_changed)
        for w in (self.dropout, self.smoothing, self.val_split):
            w.valueChanged.connect(self._form_changed)
        for w in (self.batch_size, self.epochs, self.seed, self.limit):
            w.valueChanged.connect(self._form_changed)
        for w in (self.optimizer, self.schedule):
            w.currentTextChanged.connect(self._form_changed)
        self.augment.toggled.connect(self._form_changed)
        lv.addWidget(form_box)
        self.finetune = FinetunePanel(self.state)
        self.finetune.startRequested.connect(self.start_finetune)
        self.finetune.keepRequested.connect(self.keep_finetuned)
        self.finetune.discardRequested.connect(self.discard_finetuned)
        lv.addWidget(self.finetune)

        summary_box = QGroupBox("Model summary")
        sv = QVBoxLayout(summary_box)
        self.summary = QPlainTextEdit(readOnly=True)
        self.summary.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.summary.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.summary.setMinimumHeight(170)
        sv.addWidget(self.summary)
        lv.addWidget(summary_box, 1)

    def apply_preset(self, name: str) -> None:
        if name == "custom":
            return
        cfg = TrainingConfig.preset_config(name)
        self._loading_preset = True
        try:
            self.hidden.setText(", ".join(str(u) for u in cfg.model.hidden_units))
            self.dropout.setValue(cfg.model.dropout)
            self.optimizer.setCurrentText(cfg.model.optimizer)
            self.lr.setText(f"{cfg.model.learning_rate:g}")
            self.schedule.setCurrentText(cfg.lr_schedule)
            self.smoothing.setValue(cfg.label_smoothing)
            self.batch_size.setValue(cfg.batch_size)
            self.epochs.setValue(cfg.epochs)
            self.val_split.setValue(cfg.validation_split)
            self.seed.setValue(cfg.seed)
            self.augment.setChecked(cfg.augment)
            self.preset.setCurrentText(name)
        finally:
            self._loading_preset = False
        self._form_changed()

    _loading_preset = False

    def config(self) -> TrainingConfig:
        """The form as a validated config; raises ConfigError with the reason."""
        try:
            units = tuple(int(u) for u in self.hidden.text().replace(" ", "").split(",") if u)
        except ValueError:
            raise ConfigError("hidden units: whole numbers separated by commas, e.g. 512, 512") from None
        try:
            lr = float(self.lr.text())
        except ValueError:
            raise ConfigError(f"learning rate: {self.lr.text()!r} is not a number") from None
        base = TrainingConfig.preset_config(self.preset.currentText()) if self.preset.currentText() != "custom" else TrainingConfig()
        cfg = replace(base, model=ModelSpec(units, round(self.dropout.value(), 4), self.optimizer.currentText(), lr),
                      epochs=self.epochs.value(), batch_size=self.batch_size.value(), validation_split=round(self.val_split.value(), 4),
                      seed=self.seed.value(), lr_schedule=self.schedule.currentText(), label_smoothing=round(self.smoothing.value(), 4),
                      augment=self.augment.isChecked())
        n = self.limit.value() or (len(self.state.data.x_train) if self.state.data is not None else None)
        cfg.validate(n)
        return cfg

    def _form_changed(self) -> None:
        if self._loading_preset:
            return
        try:
            cfg = self.config()
        except ConfigError as exc:
            self.form_error.setText(f"⚠ {exc}")
            self._valid = False
        else:
            self.form_error.setText("")
            self._valid = True
            lines = [summarize(cfg.model).text(), "", "Loss: categorical cross-entropy"]
            if cfg.label_smoothing:
                lines.append(f"  label smoothing {cfg.label_smoothing:g}")
            lines += [f"Optimizer: {cfg.model.optimizer}, lr {cfg.model.learning_rate:g}", f"  schedule: {cfg.lr_schedule}",
                      "Metric: accuracy"]
            self.summary.setPlainText("\n".join(lines))
            matches = [n for n in ("default", "notebook") if TrainingConfig.preset_config(n).to_dict() == replace(cfg, preset=n).to_dict()]
            if not matches and self.preset.currentText() != "custom":
                self.preset.blockSignals(True)
                self.preset.setCurrentText("custom")
                self.preset.blockSignals(False)
        self._update_buttons()

    _valid = True

    # --- right side ---------------------------------------------------------------------------------
    def _build_right(self) -> None:
        self.right = QWidget()
        rv = QVBoxLayout(self.right)
        buttons = QHBoxLayout()
        self.eval_btn = QPushButton("Evaluate untrained", toolTip="Test accuracy of a freshly initialised network (≈10%)")
        self.train_btn = QPushButton("▶ Train", toolTip="Train with these settings (Ctrl+T)")
        self.stop_btn = QPushButton("■ Stop", toolTip="Stop after the current batch; the best checkpoint is kept (Esc)")
        self.train_btn.setDefault(True)
        # Ctrl+T, Ctrl+Shift+T and Esc work from every tab: window-level actions (the main window puts them
        # in its menu), not button shortcuts, which Qt honours only while the button is visible. The
        # fine-tune button's own shortcut would make Ctrl+Shift+T ambiguous on this tab (then neither fires).
        self.train_action = self._shortcut_action("&Train", "Ctrl+T", self.start_training)
        self.finetune_action = self._shortcut_action("&Fine-tune on My digits", "Ctrl+Shift+T", self._finetune_shortcut)
        self.stop_action = self._shortcut_action("&Stop", "Esc", self.stop_training)
        self.finetune.start_btn.setShortcut(QKeySequence())
        for b in (self.eval_btn, self.train_btn, self.stop_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        # The model and export buttons get a row of their own: eight on one row made the window wider than a
        # 1024-pixel screen.
        rv.addLayout(buttons)
        buttons = QHBoxLayout()
        self.save_btn = QPushButton("Save model…")
        self.load_btn = QPushButton("Load model…")
        self.default_btn = QPushButton("Use default model")
        self.csv_btn = QPushButton("Export CSV…")
        self.png_btn = QPushButton("Export plots…")
        for b in (self.save_btn, self.load_btn, self.default_btn, self.csv_btn, self.png_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        rv.addLayout(buttons)
        self.eval_btn.clicked.connect(self.evaluate_untrained)
        self.train_btn.clicked.connect(self.start_training)
        self.stop_btn.clicked.connect(self.stop_training)
        self.save_btn.clicked.connect(self.save_model_dialog)
        self.load_btn.clicked.connect(self.loadModelRequested)
        self.default_btn.clicked.connect(self.state.use_default)
        self.csv_btn.clicked.connect(self.export_csv_dialog)
        self.png_btn.clicked.connect(self.export_plots_dialog)

        prog = QGridLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.epoch_label = QLabel("Epoch –")
        self.step_label = QLabel("Step –")
        self.time_label = QLabel("Elapsed – · ETA –")
        self.speed_label = QLabel("– samples/s")
        self.result_label = QLabel("Test accuracy: –")
        f = QFont(self.font())
        f.setPointSize(f.pointSize() + 6)
        f.setBold(True)
        self.result_label.setFont(f)
        prog.addWidget(self.progress, 0, 0, 1, 4)
        for i, w in enumerate((self.epoch_label, self.step_label, self.time_label, self.speed_label)):
            prog.addWidget(w, 1, i)
        # A stopped run's model is not made active on its own (unless it beats the active one): the user may.
        self.use_result_btn = QPushButton("Use this model", toolTip="Make the stopped run's best checkpoint the active model")
        self.use_result_btn.clicked.connect(self.use_stopped_result)
        self.use_result_btn.hide()
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_label, 1)
        result_row.addWidget(self.use_result_btn)
        prog.addLayout(result_row, 2, 0, 1, 4)
        rv.addLayout(prog)

        self.plot_area = QWidget()
        self.plot_layout = QHBoxLayout(self.plot_area)
        self.plot_layout.setContentsMargins(0, 0, 0, 0)
        self.smooth = QCheckBox("Smooth batch curves")
        self.smooth.setChecked(False)  # Keras' batch values are already running means
        self.smooth.toggled.connect(self._mark_dirty)
        rv.addWidget(self.plot_area, 3)
        rv.addWidget(self.smooth)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.log.setMaximumBlockCount(5000)
        rv.addWidget(self.log, 2)

    def _shortcut_action(self, text: str, keys: str, slot) -> QAction:
        act = QAction(text, self)
        act.setShortcut(QKeySequence(keys))
        act.triggered.connect(lambda checked=False: slot())  # triggered(bool) must not reach the slot
        return act

    def shortcut_actions(self) -> list[QAction]:
        """Train, fine-tune and stop, for the main window's menu (which makes their shortcuts window-wide)."""
        return [self.train_action, self.finetune_action, self.stop_action]

    def _finetune_shortcut(self) -> None:
        """Ctrl+Shift+T: what the fine-tune button does (with the panel's settings), or why it cannot."""
        if self.finetune.start_btn.isEnabled():
            self.finetune.start_btn.click()
        elif not self.is_training():
            why = (f"it needs at least {MIN_TUNE_DIGITS} of your digits to learn from (draw a digit, press its key)"
                   if self.finetune.n_tune() < MIN_TUNE_DIGITS else "the model or MNIST is still loading")
            self.message.emit(f"Fine-tuning cannot start: {why}")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.ensure_plots()

    def ensure_plots(self) -> None:
        """Create the pyqtgraph plots on first use (pyqtgraph is not imported at start-up)."""
        if self._plots is not None:
            return
        from mnist_gui.views.plots import TrainingPlots

        self._plots = TrainingPlots(self.plot_area)
        self._plots.set_dark(self._dark)
        self.plot_layout.addWidget(self._plots)
        self._mark_dirty()
        self._refresh_plots()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        if self._plots is not None:
            self._plots.set_dark(dark)

    def _update_buttons(self) -> None:
        training = self.is_training()
        ready = self.state.data is not None and self._valid
        self.train_btn.setEnabled(ready and not training)
        self.eval_btn.setEnabled(ready and not training and self._eval_thread is None)
        self.stop_btn.setEnabled(training and not self._stop_requested)
        # A disabled action's key is not taken: Esc reaches the focused widget when nothing runs.
        self.train_action.setEnabled(self.train_btn.isEnabled())
        self.stop_action.setEnabled(self.stop_btn.isEnabled())
        model = self.state.model
        self.save_btn.setEnabled(model is not None and model.kind != "default" and model.path is not None)
        self.default_btn.setEnabled(model is not None and model.kind != "default")
        self.csv_btn.setEnabled(bool(self.history))
        self.png_btn.setEnabled(self._plots is not None)
        for w in (self.preset, self.hidden, self.dropout, self.optimizer, self.lr, self.schedule, self.smoothing,
                  self.batch_size, self.epochs, self.val_split, self.seed, self.augment, self.limit):
            w.setEnabled(not training)
        self.finetune.set_busy(training)

    def is_training(self) -> bool:
        return self.worker is not None

    # --- evaluate untrained ---------------------------------------------------------------------------
    def _config_or_show_error(self) -> TrainingConfig | None:
        try:
            return self.config()
        except ConfigError as exc:
            self.form_error.setText(f"⚠ {exc}")
            return None

    def evaluate_untrained(self) -> None:
        if self.state.closing or (cfg := self._config_or_show_error()) is None:
            return
        if not self.state.tf_ready:
            self.message.emit("Loading TensorFlow first…")
        self.log.appendPlainText("Evaluating the untrained network on the test set…")
        self._eval_thread = run_in_thread(_evaluate_untrained, cfg, self.state.data, name="evaluate-untrained",
                                          on_done=self._on_evaluated, on_failed=self._on_eval_failed, receiver=self)
        self._update_buttons()

    def _on_evaluated(self, acc: object) -> None:
        self._eval_thread = None
        self.log.appendPlainText(f"Test accuracy before training: {acc:.2%}  (chance is 10%)")
        self.result_label.setText(f"Untrained test accuracy: {acc:.2%}")
        self._update_buttons()
        self.evaluated.emit(float(acc))  # type: ignore[arg-type]

    def _on_eval_failed(self, msg: str, exc: object) -> None:
        self._eval_thread = None
        self._update_buttons()
        self._error("Evaluation failed", msg)

    # --- training -------------------------------------------------------------------------------------
    def start_training(self) -> None:
        if self.is_training() or self.state.data is None or self.state.closing or (cfg := self._config_or_show_error()) is None:
            return
        from mnist_gui.ml.training import run_training

        data = self.state.data.limited(self.limit.value() or None)
        out = _run_dir("run")
        n_fit = len(data.x_train) - int(len(data.x_train) * cfg.validation_split)
        self._start_job(lambda reporter, stop: run_training(cfg, data, out, reporter, stop), cfg.epochs, n_fit,
                        self._on_done, "Training")

    def start_finetune(self, cfg: FinetuneConfig) -> None:
        """Fine-tune the active model on My digits (tuning part) mixed with MNIST; the result waits for Keep/Discard."""
        model, data, coll = self.state.model, self.state.data, self.state.my_digits
        if self.is_training() or data is None or model is None or model.path is None or self.state.closing:
            return
        held = coll.holdout_mask()
        try:
            cfg.validate(int((~held).sum()))
        except ConfigError as exc:
            self._error("Fine-tuning cannot start", str(exc))
            return
        from mnist_gui.ml.finetune import run_finetune

        if self.pending_finetune is not None:
            self.discard_finetuned()
        # Boolean indexing copies: the user may keep adding or editing digits while this runs.
        tune_x, tune_y, held_x, held_y = coll.x[~held], coll.y[~held], coll.x[held], coll.y[held]
        base, out = model.path, _run_dir("finetune") / "finetuned.keras"
        self._finetune_out = out
        per_epoch = cfg.batch_layout(len(data.x_train))[2] * cfg.batch_size
        self._start_job(lambda reporter, stop: run_finetune(base, data, tune_x, tune_y, held_x, held_y, out, cfg, reporter, stop),
                        cfg.epochs, per_epoch, self._on_finetuned, "Fine-tuning")

    def _start_job(self, job, epochs: int, samples_per_epoch: int, on_done, what: str) -> None:
        from mnist_gui.views.training_worker import TrainingWorker

        self.ensure_plots()
        self.history = {}
        self.batch_x, self.batch_loss, self.batch_acc = [], [], []
        self.log.clear()
        self.result_label.setText(f"{what}…")
        self.use_result_btn.hide()
        self.stopped_result = None
        self._epochs, self._n_fit, self._what = epochs, samples_per_epoch, what
        self._stop_requested = False
        self._last_step = (0, 0, 0)
        self.progress.setRange(0, epochs * 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.epoch_label.setText(f"Epoch 1/{epochs}")
        self.step_label.setText("Step –")
        self.time_label.setText("Elapsed 0:00 · ETA –")
        self.speed_label.setText("– samples/s")
        self._t_start = time.perf_counter()
        worker = TrainingWorker(job)
        worker.message.connect(self._on_message)
        worker.batch.connect(self._on_batch)
        worker.epochEnd.connect(self._on_epoch)
        worker.done.connect(on_done)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_worker_finished)
        self.worker = worker
        self.thread = start_worker(worker, "training")
        self._plot_timer.start()
        if not self.state.tf_ready:
            self.message.emit(f"{what} starts as soon as TensorFlow has loaded…")
        else:
            self.message.emit(f"{what}…")
        self._update_buttons()

    def stop_training(self) -> None:
        if self.worker is not None and not self._stop_requested:
            self.worker.stop()
            self._stop_requested = True
            self.message.emit("Stopping after the current batch…")
            self._update_buttons()

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Window closing: stop the job (seen within 32 batches), wait for the threads, delete unkept results.

        ``quit()`` first: the worker's ``finished → thread.quit`` is queued to this GUI thread, which is
        blocked in ``wait()`` here, so without it every wait ran to its timeout (a 30 s frozen window).
        """
        if self.worker is not None:
            self.worker.stop()
        for t in (self.thread, self._eval_thread):
            if t is not None:
                try:
                    t.quit()  # thread-safe; the running job is not interrupted, its thread ends when it returns
                    if not t.wait(timeout_ms):
                        log.warning("the %s thread did not end within %d ms", t.objectName(), timeout_ms)
                except RuntimeError:  # already deleted
                    pass
        # A fine-tuned model nobody chose to keep (pending, or finished/stopped by this very close) goes.
        self.discard_finetuned()
        if self._finetune_out is not None:
            self._delete_finetuned(self._finetune_out)
            self._finetune_out = None

    def _on_message(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _on_batch(self, epoch: int, step: int, steps: int, logs: dict) -> None:
        self._last_step = (epoch, step, steps)
        x = epoch + step / steps
        self.batch_x.append(x)
        self.batch_loss.append(logs.get("loss", float("nan")))
        self.batch_acc.append(logs.get("accuracy", float("nan")))
        self._plots_dirty = True
        self.progress.setValue(int(x * 1000))
        elapsed = time.perf_counter() - self._t_start
        done_frac = x / self._epochs
        eta = elapsed * (1 - done_frac) / done_frac if done_frac > 0 else 0
        self.epoch_label.setText(f"Epoch {epoch + 1}/{self._epochs}")
        self.step_label.setText(f"Step {step}/{steps}")
        self.time_label.setText(f"Elapsed {_fmt_duration(elapsed)} · ETA {_fmt_duration(eta)}")
        if elapsed > 0:
            self.speed_label.setText(f"{x * self._n_fit / elapsed:,.0f} samples/s")

    def _on_epoch(self, epoch: int, logs: dict, seconds: float) -> None:
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))
        self._plots_dirty = True

    def _finish_progress(self, outcome: str) -> None:
        """A job is over: the bar and the labels say the same thing, and no ETA is left standing.

        ``outcome``: "done" (bar full), "stopped" or "failed" (bar left where the job ended, and says so).
        """
        epoch, step, steps = self._last_step
        elapsed = _fmt_duration(time.perf_counter() - self._t_start)
        if outcome == "done":
            self.progress.setValue(self.progress.maximum())
            self.progress.setFormat("Done — %p%")
            self.epoch_label.setText(f"Epoch {self._epochs}/{self._epochs}")
            self.step_label.setText(f"Step {steps}/{steps}" if steps else "Step –")
        else:
            self.progress.setFormat(f"{outcome.capitalize()} at %p%")
            self.epoch_label.setText(f"Epoch {epoch + 1}/{self._epochs}")
            self.step_label.setText(f"{outcome.capitalize()} at step {step}/{steps}" if steps else outcome.capitalize())
        self.time_label.setText(f"Elapsed {elapsed} · {outcome}")

    def _on_done(self, result: Any) -> None:
        if self.state.closing:
            return  # the window is gone: the run's checkpoint stays on disk, nothing is made active
        self.history = result.history
        self._plots_dirty = True
        stopped = result.stopped  # the run knows: a stop pressed during its last batches may not have stopped it
        self._finish_progress("stopped" if stopped else "done")
        note = f" (stopped: {result.stop_reason})" if result.stopped else ""
        self.result_label.setText(f"Test accuracy: {result.test_accuracy:.2%}  — best epoch {result.best_epoch}{note}")
        active = self.state.model
        if "NaN" in result.stop_reason:
            # A diverged run is kept on disk but not put in charge of the Draw and Dataset tabs.
            self.message.emit("Training diverged; the active model is unchanged")
            self._error("Training diverged", f"Training stopped: {result.stop_reason}. The best checkpoint so far "
                        f"(epoch {result.best_epoch}, test accuracy {result.test_accuracy:.2%}) is kept at "
                        f"{result.model_path}, but it is not made the active model. Try a lower learning rate.")
        elif stopped and not _beats(result.test_accuracy, active):
            # A run stopped early (Esc in epoch 1: an 85 % model) must not replace a better active model, nor
            # be remembered as the active one; the user may still choose it.
            self.stopped_result = result
            self.use_result_btn.show()
            shown = f" ({active.test_accuracy:.2%})" if active is not None and active.test_accuracy is not None else ""
            self.result_label.setText(f"Stopped: test accuracy {result.test_accuracy:.2%} (best epoch {result.best_epoch}) — "
                                      f"the active model{shown} stays")
            self.message.emit(f"Training stopped: its model ({result.test_accuracy:.2%}) is kept at {result.model_path}; "
                              "the active model is unchanged (\"Use this model\" on the Train tab switches to it)")
        else:
            self.state.set_model(ActiveModel(result.predictor, "trained", result.model_path, result.test_accuracy))
            what = "Training stopped" if stopped else "Training done"
            self.message.emit(f"{what}: test accuracy {result.test_accuracy:.2%}; the Draw and Dataset tabs now use this model")
        self.trainingFinished.emit(result)

    def use_stopped_result(self) -> None:
        """The user's choice: make the stopped run's best checkpoint the active model after all."""
        r, self.stopped_result = self.stopped_result, None
        self.use_result_btn.hide()
        if r is None:
            return
        self.state.set_model(ActiveModel(r.predictor, "trained", r.model_path, r.test_accuracy))
        self.result_label.setText(f"Test accuracy: {r.test_accuracy:.2%}  — best epoch {r.best_epoch} (stopped; now the active model)")
        self.message.emit(f"The stopped run's model ({r.test_accuracy:.2%}) is now the active model")

    def _on_finetuned(self, result: Any) -> None:
        if self.state.closing:
            self._delete_finetuned(result.model_path)  # nobody can keep it any more
            return
        self._finetune_out = None  # pending now: kept or discarded by the user
        self._finish_progress("stopped" if result.stopped else "done")
        self.history = result.history
        self._plots_dirty = True
        self.pending_finetune = result
        self.finetune.show_pending(result)
        QTimer.singleShot(0, lambda: self.left_scroll.ensureWidgetVisible(self.finetune.discard_btn))  # after relayout
        mine = f"held-out digits {result.mine_before:.1%} → {result.mine_after:.1%}, " if result.mine_before is not None else ""
        self.result_label.setText(f"Fine-tuned: {mine}MNIST {result.mnist_before:.2%} → {result.mnist_after:.2%}")
        self.message.emit("Fine-tuning done: keep the result or discard it (Train tab)")
        self.finetuneFinished.emit(result)

    def _take_pending(self) -> Any:
        r, self.pending_finetune = self.pending_finetune, None
        self.finetune.show_pending(None)
        return r

    def keep_finetuned(self) -> None:
        r = self._take_pending()
        if r is None:
            return
        self.state.set_model(ActiveModel(r.predictor, "finetuned", r.model_path, r.mnist_after))
        self.message.emit(f"Kept the fine-tuned model ({r.model_path}); the Draw and Dataset tabs now use it")

    def discard_finetuned(self) -> None:
        r = self._take_pending()
        if r is None:
            return
        self._delete_finetuned(r.model_path)
        self.result_label.setText("Fine-tuned model discarded; the active model is unchanged")
        self.message.emit("Discarded the fine-tuned model")

    @staticmethod
    def _delete_finetuned(model_path: Path) -> None:
        """Delete a fine-tuned model nobody kept: ``finetuned.*`` (and temp files) and its run folder if empty."""
        folder = Path(model_path).parent
        stem = Path(model_path).stem
        for p in [*folder.glob(f"{stem}.*"), *folder.glob(f".{stem}.*")]:  # .keras, .weights.npz, .json, temp files
            try:
                p.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not delete %s: %s", p, exc)
        try:
            folder.rmdir()  # only if nothing else is in it
        except OSError:
            pass

    def _on_failed(self, msg: str) -> None:
        if self.state.closing:
            log.info("%s ended while closing: %s", self._what, msg)
            return
        self._finish_progress("stopped" if self._stop_requested else "failed")
        if self._finetune_out is not None:  # a failed fine-tune keeps nothing (not even a half-made folder)
            self._delete_finetuned(self._finetune_out)
            self._finetune_out = None
        self.result_label.setText(f"{self._what} did not finish")
        self.message.emit(f"{self._what} failed; the active model is unchanged")
        self._error(f"{self._what} failed", msg)
        self.trainingFailed.emit(msg)

    def _on_worker_finished(self) -> None:
        self.worker = None
        self.thread = None
        self._plot_timer.stop()
        self._refresh_plots()
        self._update_buttons()

    # --- plots ---------------------------------------------------------------------------------------
    def _mark_dirty(self) -> None:
        self._plots_dirty = True

    def _refresh_plots(self) -> None:
        if self._plots is None or not self._plots_dirty:
            return
        self._plots_dirty = False
        self._plots.update_curves(self.batch_x, self.batch_loss, self.batch_acc, self.history, self.smooth.isChecked())

    def show_loaded_history(self, meta: dict) -> None:
        hist = meta.get("history") if isinstance(meta, dict) else None
        if isinstance(hist, dict):
            self.history = {k: [float(v) for v in vals] for k, vals in hist.items() if isinstance(vals, list)}
            self.batch_x, self.batch_loss, self.batch_acc = [], [], []
            self._plots_dirty = True
            self._refresh_plots()
            acc = meta.get("test_accuracy")
            if isinstance(acc, (int, float)):
                self.result_label.setText(f"Loaded model: test accuracy {acc:.2%}")
            self._update_buttons()

    # --- files ---------------------------------------------------------------------------------------
    def save_model_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save model", str(Path.home() / "mnist_mlp.keras"), "Keras model (*.keras)")
        if path:
            self.save_model(path)

    def save_model(self, path: str) -> bool:
        from mnist_gui.ml.model_io import copy_model

        model = self.state.model
        if model is None or model.path is None:
            return False
        try:
            copy_model(model.path, path)
        except UserError as exc:
            self._error("The model could not be saved", str(exc))
            return False
        self.message.emit(f"Saved {Path(path).name} with its weights and history")
        return True

    def history_csv(self) -> str:
        buf = io.StringIO()
        keys = sorted(self.history)
        w = csv.writer(buf)
        w.writerow(["epoch", *keys])
        for i in range(max((len(v) for v in self.history.values()), default=0)):
            w.writerow([i + 1, *[self.history[k][i] if i < len(self.history[k]) else "" for k in keys]])
        return buf.getvalue()

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export history", str(Path.home() / "history.csv"), "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        from mnist_gui.atomic import atomic_write_bytes

        try:
            atomic_write_bytes(path, self.history_csv().encode())
        except OSError as exc:
            self._error("The history could not be exported", f"{path}: {exc.strerror or exc}")
            return False
        return True

    def export_plots_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", str(Path.home() / "training.png"), "PNG image (*.png)")
        if path:
            self.export_plots(path)

    def export_plots(self, path: str) -> bool:
        from mnist_gui.atomic import atomic_path

        self.ensure_plots()
        try:
            with atomic_path(path) as tmp:
                if not self._plots.grab().save(str(tmp), "PNG"):
                    raise OSError(f"cannot write {path}")
        except OSError as exc:
            self._error("The plots could not be exported", f"{path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        return True

    def _error(self, title: str, msg: str) -> None:
        win = self.window()
        if hasattr(win, "error"):
            win.error(title, msg)
        else:
            log.warning("%s: %s", title, msg)


def _beats(accuracy: float, active: ActiveModel | None) -> bool:
    """Whether a model with this test accuracy beats the active one (unknown accuracy: it does not)."""
    if active is None:
        return True
    return active.test_accuracy is not None and accuracy > active.test_accuracy


def _run_dir(kind: str) -> Path:
    from mnist_gui.paths import user_data_dir

    return user_data_dir() / "models" / _dt.datetime.now().strftime(f"{kind}-%Y%m%d-%H%M%S-%f")


def _evaluate_untrained(cfg: TrainingConfig, data: Any) -> float:
    from mnist_gui.ml.model import build_model
    from mnist_gui.ml.training import compile_model, configure_threads, evaluate, prepare

    configure_threads()
    p = prepare(data)
    model = build_model(cfg.model, seed=cfg.seed)
    compile_model(model, cfg, 1)
    return evaluate(model, p.x_test, p.y_test)[1]
