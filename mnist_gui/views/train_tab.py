"""The Train tab: puts together the hyperparameter form (``train/form.py``), the monitor with progress, plots and
log (``train/monitor.py``), the live test strip (``train/test_strip.py``), the Runs panel (``train/runs_panel.py``),
job control (``train/job.py``) and file exports (``train/exports.py``), and decides what a finished job means:
which model becomes active, and whether a fine-tuned one is kept."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget

from mnist_gui.errors import ConfigError
from mnist_gui.ml.finetune import MIN_TUNE_DIGITS, FinetuneConfig
from mnist_gui.ml.progress import StopReason
from mnist_gui.ml.training import TrainingConfig, TrainingResult
from mnist_gui.paths import new_run_dir
from mnist_gui.views.finetune_panel import FinetunePanel
from mnist_gui.views.state import ActiveModel, AppState
from mnist_gui.views.train.exports import ExportActions
from mnist_gui.views.train.finetune_flow import FinetuneFlow
from mnist_gui.views.train.form import TrainForm
from mnist_gui.views.train.job import JobControl
from mnist_gui.views.train.monitor import TrainingMonitor
from mnist_gui.views.train.test_strip import LiveTestStrip

log = logging.getLogger(__name__)


class TrainTab(FinetuneFlow, ExportActions, QWidget):
    loadModelRequested = Signal()
    trainingFinished = Signal(object)  # TrainingResult (tests wait on it)
    finetuneFinished = Signal(object)  # FinetuneResult, pending the user's keep/discard
    trainingFailed = Signal(str)
    evaluated = Signal(float)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.pending_finetune: Any = None
        self.stopped_result: Any = None  # a stopped run's result the user may still make active ("Use this model")
        self._finetune_out: Path | None = None  # the running fine-tune's output: deleted unless the user keeps it
        self._shown = False

        self.form = TrainForm(self._n_train)
        self.monitor = TrainingMonitor()
        self.jobs = JobControl(state, self.monitor, self)
        self.strip = LiveTestStrip()
        self.monitor.strip_area.addWidget(self.strip)
        self._alias_widgets()
        self._build_left()
        self._build_right()
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.left_scroll)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 700])
        QVBoxLayout(self).addWidget(splitter)

        self.form.changed.connect(self._update_buttons)
        self.jobs.busyChanged.connect(self._update_buttons)
        self.jobs.snapshot.connect(self.strip.update_predictor)
        self.jobs.failed.connect(self._on_failed)
        self.monitor.use_result_btn.clicked.connect(self.use_stopped_result)
        self.apply_preset("default")
        state.tfReady.connect(self._update_buttons)
        state.dataChanged.connect(self._on_data)
        state.modelChanged.connect(self._update_buttons)

    def _n_train(self) -> int | None:
        return len(self.state.data.x_train) if self.state.data is not None else None

    def _alias_widgets(self) -> None:
        """The form's and monitor's widgets under the names the tab has always had (tests, benchmarks, scripts)."""
        f, m = self.form, self.monitor
        for name in ("preset", "arch", "hidden", "dropout", "optimizer", "lr", "schedule", "smoothing", "batch_size", "epochs",
                     "val_split", "seed", "augment", "limit", "form_error", "summary"):
            setattr(self, name, getattr(f, name))
        for name in ("progress", "epoch_label", "step_label", "time_label", "speed_label", "result_label", "use_result_btn",
                     "smooth", "log", "plot_area"):
            setattr(self, name, getattr(m, name))

    # --- layout -------------------------------------------------------------------------------------------
    def _build_left(self) -> None:
        self.left = QWidget()
        lv = QVBoxLayout(self.left)
        lv.addWidget(self.form.form_box)
        # The summary goes right under the fields it describes (in view at 1366×768); fine-tuning, a later step, below.
        lv.addWidget(self.form.summary_box, 1)
        self.finetune = FinetunePanel(self.state)
        self.finetune.startRequested.connect(self.start_finetune)
        self.finetune.keepRequested.connect(self.keep_finetuned)
        self.finetune.discardRequested.connect(self.discard_finetuned)
        lv.addWidget(self.finetune)
        # The form column scrolls rather than forcing a tall window (1366×768 laptops).
        self.left_scroll = QScrollArea()
        self.left_scroll.setWidget(self.left)
        self.left_scroll.setWidgetResizable(True)
        self.left_scroll.setFrameShape(QScrollArea.NoFrame)
        self.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.left_scroll.setMinimumWidth(self.left.sizeHint().width() + 16)

    def _build_right(self) -> None:
        self.right = QWidget()
        rv = QVBoxLayout(self.right)
        row = QHBoxLayout()
        self.eval_btn = QPushButton("Evaluate untrained", toolTip="Test accuracy of a freshly initialised network (≈10%)")
        self.train_btn = QPushButton("▶ Train", toolTip="Train with these settings (Ctrl+T)")
        self.stop_btn = QPushButton("■ Stop", toolTip="Stop at the next progress check (within 32 batches); the best checkpoint is kept (Esc)")
        self.train_btn.setDefault(True)
        # Ctrl+T, Ctrl+Shift+T and Esc work from every tab: window-level actions (the main window puts them
        # in its menu), not button shortcuts, which Qt honours only while the button is visible. The
        # fine-tune button's own shortcut would make Ctrl+Shift+T ambiguous on this tab (then neither fires).
        self.train_action = self._shortcut_action("&Train", "Ctrl+T", self.start_training)
        self.finetune_action = self._shortcut_action("&Fine-tune on My digits", "Ctrl+Shift+T", self._finetune_shortcut)
        self.stop_action = self._shortcut_action("&Stop", "Esc", self.stop_training)
        self.finetune.start_btn.setShortcut(QKeySequence())
        for b in (self.eval_btn, self.train_btn, self.stop_btn):
            row.addWidget(b)
        row.addStretch(1)
        rv.addLayout(row)
        # The model and export buttons get a row of their own: eight on one row made the window wider than a
        # 1024-pixel screen.
        row = QHBoxLayout()
        self.save_btn = QPushButton("Save model…")
        self.load_btn = QPushButton("Load model…")
        self.default_btn = QPushButton("Use default model")
        self.csv_btn = QPushButton("Export CSV…")
        self.png_btn = QPushButton("Export plots…")
        for b in (self.save_btn, self.load_btn, self.default_btn, self.csv_btn, self.png_btn):
            row.addWidget(b)
        row.addStretch(1)
        rv.addLayout(row)
        rv.addWidget(self.monitor, 1)
        self.eval_btn.clicked.connect(self.evaluate_untrained)
        self.train_btn.clicked.connect(self.start_training)
        self.stop_btn.clicked.connect(self.stop_training)
        self.save_btn.clicked.connect(self.save_model_dialog)
        self.load_btn.clicked.connect(self.loadModelRequested)
        self.default_btn.clicked.connect(self.state.use_default)
        self.csv_btn.clicked.connect(self.export_csv_dialog)
        self.png_btn.clicked.connect(self.export_plots_dialog)
        self.monitor.overlaysChanged.connect(self._update_buttons)
        from mnist_gui.views.train.runs_panel import RunsPanel

        self.runs = RunsPanel(self.state, self.monitor)
        self.monitor.bottom_tabs.addTab(self.runs, "Runs")

    def _shortcut_action(self, text: str, keys: str, slot: Any) -> QAction:
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
            if self.jobs.busy():
                why = "an evaluation or the TensorFlow load is under way"
            elif self.finetune.n_tune() < MIN_TUNE_DIGITS:
                why = f"it needs at least {MIN_TUNE_DIGITS} of your digits to learn from (draw a digit, press its key)"
            else:
                why = "the model or MNIST is still loading"
            self.state.show_status(f"Fine-tuning cannot start: {why}")

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.ensure_plots()
        self._update_buttons()  # "Export plots…" needs the plots just made
        if not self._shown:
            self._shown = True
            self.jobs.need_tensorflow()  # the Train tab is where TensorFlow is needed: start loading it now

    # --- public API (main window, tests) ---------------------------------------------------------------------
    @property
    def worker(self) -> Any:
        return self.jobs.worker

    @property
    def thread(self) -> Any:
        return self.jobs.thread

    @property
    def history(self) -> dict[str, list[float]]:
        return self.monitor.history

    @property
    def batch_x(self) -> list[float]:
        return self.monitor.batch_x

    @property
    def _plots(self) -> Any:
        return self.monitor.plots

    def ensure_plots(self) -> None:
        self.monitor.ensure_plots()

    def set_dark(self, dark: bool) -> None:
        self.monitor.set_dark(dark)
        self.strip.set_dark(dark)

    def is_training(self) -> bool:
        return self.jobs.is_training()

    def apply_preset(self, name: str) -> None:
        self.form.apply_preset(name)

    def config(self) -> TrainingConfig:
        return self.form.config()

    def _on_data(self) -> None:
        data = self.state.data
        if data is not None:
            self.strip.set_data(data.x_test, data.y_test)
        self.form.revalidate()

    def _update_buttons(self) -> None:
        training, evaluating, waiting = self.jobs.is_training(), self.jobs.is_evaluating(), self.jobs.pending is not None
        ready = self.state.data is not None and self.form.valid
        # Training and evaluate-untrained never run together: both set Keras' global seed.
        self.train_btn.setEnabled(ready and not training and not evaluating and not waiting)
        self.eval_btn.setEnabled(ready and not training and not evaluating and not waiting)
        self.stop_btn.setEnabled((training and not self.jobs.stop_requested) or waiting)
        # A disabled action's key is not taken: Esc reaches the focused widget when nothing runs.
        self.train_action.setEnabled(self.train_btn.isEnabled())
        self.stop_action.setEnabled(self.stop_btn.isEnabled())
        model = self.state.model
        self.save_btn.setEnabled(model is not None and model.kind != "default" and model.path is not None)
        self.default_btn.setEnabled(model is not None and model.kind != "default")
        self.csv_btn.setEnabled(bool(self.history))
        plots = self.monitor.plots  # something to export: a run under way, its curves, or earlier runs shown
        self.png_btn.setEnabled(plots is not None and (training or plots.point_count() > 0 or plots.overlay_count() > 0))
        self.form.set_busy(training or waiting)
        self.finetune.set_busy(training or evaluating or waiting)
        self.runs.set_busy(training)

    def _config_or_show_error(self) -> TrainingConfig | None:
        try:
            return self.config()
        except ConfigError as exc:
            self.form.show_error(str(exc))
            return None

    # --- evaluate untrained -----------------------------------------------------------------------------------
    def evaluate_untrained(self) -> None:
        if self.state.closing or self.jobs.busy() or (cfg := self._config_or_show_error()) is None:
            return
        self.jobs.when_tf_ready("Evaluation", lambda: self._evaluate(cfg))

    def _evaluate(self, cfg: TrainingConfig) -> None:
        if self.jobs.busy() or self.state.data is None:
            return
        from mnist_gui.ml.training import evaluate_untrained

        self.monitor.append_log("Evaluating the untrained network on the test set…")
        self.jobs.evaluate(evaluate_untrained, (cfg, self.state.data), self._on_evaluated, self._on_eval_failed)

    def _on_evaluated(self, acc: object) -> None:
        self.monitor.append_log(f"Test accuracy before training: {acc:.2%}  (chance is 10%)")
        self.result_label.setText(f"Untrained test accuracy: {acc:.2%}")
        self.evaluated.emit(float(acc))  # type: ignore[arg-type]

    def _on_eval_failed(self, msg: str, exc: object) -> None:
        self.state.report_error("Evaluation failed", msg)

    # --- training ---------------------------------------------------------------------------------------------
    def start_training(self) -> None:
        if self.jobs.busy() or self.state.data is None or self.state.closing or self._config_or_show_error() is None:
            return
        self.jobs.when_tf_ready("Training", self._start_training_now)

    def _start_training_now(self) -> None:
        if self.jobs.busy() or self.state.data is None or self.state.closing or (cfg := self._config_or_show_error()) is None:
            return
        from mnist_gui.ml.training import fit_size, run_training

        data = self.state.data.limited(self.limit.value() or None, test=False)  # tested on all 10,000, as everywhere
        out = new_run_dir("run")
        self.strip.clear_answers()
        self.jobs.start(lambda reporter, stop: run_training(cfg, data, out, reporter, stop), cfg.epochs,
                        fit_size(len(data.x_train), cfg.validation_split), self._on_done, "Training")
        self.stopped_result = None

    def start_finetune(self, cfg: FinetuneConfig) -> None:
        """Fine-tune the active model on My digits (tuning part) mixed with MNIST; the result waits for Keep/Discard."""
        if self.jobs.busy() or self.state.closing:
            return
        self.jobs.when_tf_ready("Fine-tuning", lambda: self._start_finetune_now(cfg))

    def stop_training(self) -> None:
        self.jobs.stop()

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Window closing: stop the job, wait for the threads, delete fine-tuned results nobody kept."""
        self.jobs.shutdown(timeout_ms)
        # A fine-tuned model nobody chose to keep (pending, or finished/stopped by this very close) goes.
        self.discard_finetuned()
        if self._finetune_out is not None:
            self._delete_finetuned(self._finetune_out)
            self._finetune_out = None

    # --- outcomes ---------------------------------------------------------------------------------------------
    def _on_done(self, result: Any) -> None:
        if self.state.closing:
            return  # the window is gone: the run's checkpoint stays on disk, nothing is made active
        self.monitor.show_history(result.history)
        stopped = result.stopped  # the run knows: a stop pressed during its last batches may not have stopped it
        self.monitor.finish("stopped" if stopped else "done")
        self.strip.update_predictor(-1, result.predictor)
        note = "" if not stopped else " (stopped by you)" if result.stop is StopReason.STOPPED_BY_USER else f" (stopped: {result.stop_reason})"
        self.result_label.setText(result_line(result, note))
        active = self.state.model
        if result.stop is StopReason.DIVERGED:
            # A diverged run is kept on disk but not put in charge of the Draw, Dataset and Inside tabs.
            self.state.show_status("Training diverged; the active model is unchanged")
            self.state.report_error("Training diverged", f"Training stopped: {result.stop_reason}. The best checkpoint so far "
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
            # Short: the status bar is one line (the Runs panel and the log show where the model is).
            self.state.show_status(f"Training stopped at {result.test_accuracy:.2%}; the active model is unchanged "
                                   "(\"Use this model\" switches)")
        else:
            self.state.set_model(ActiveModel(result.predictor, "trained", result.model_path, result.test_accuracy))
            what = "Training stopped" if stopped else "Training done"
            self.state.show_status(f"{what}: test accuracy {result.test_accuracy:.2%}; the Draw, Dataset and Inside tabs now use this model")
        self.runs.refresh()
        self.trainingFinished.emit(result)

    def use_stopped_result(self) -> None:
        """The user's choice: make the stopped run's best checkpoint the active model after all."""
        r, self.stopped_result = self.stopped_result, None
        self.use_result_btn.hide()
        if r is None:
            return
        self.state.set_model(ActiveModel(r.predictor, "trained", r.model_path, r.test_accuracy))
        self.result_label.setText(result_line(r, " (stopped; now the active model)"))
        self.state.show_status(f"The stopped run's model ({r.test_accuracy:.2%}) is now the active model")

    def _on_failed(self, msg: str) -> None:
        what = self.jobs.what
        if self.state.closing:
            log.info("%s ended while closing: %s", what, msg)
            return
        self.monitor.finish("stopped" if self.jobs.stop_requested else "failed")
        if self._finetune_out is not None:  # a failed fine-tune keeps nothing (not even a half-made folder)
            self._delete_finetuned(self._finetune_out)
            self._finetune_out = None
        self.result_label.setText(f"{what} did not finish")
        self.state.show_status(f"{what} failed; the active model is unchanged")
        self.state.report_error(f"{what} failed", msg)
        self.trainingFailed.emit(msg)

    def show_loaded_history(self, meta: dict) -> None:
        hist = meta.get("history") if isinstance(meta, dict) else None
        if isinstance(hist, dict):
            self.monitor.show_history({k: [float(v) for v in vals] for k, vals in hist.items() if isinstance(vals, list)})
            acc = meta.get("test_accuracy")
            if isinstance(acc, (int, float)):
                self.result_label.setText(f"Loaded model: test accuracy {acc:.2%}")
            self._update_buttons()


def _beats(accuracy: float, active: ActiveModel | None) -> bool:
    """Whether a model with this test accuracy beats the active one (unknown accuracy: it does not)."""
    if active is None:
        return True
    return active.test_accuracy is not None and accuracy > active.test_accuracy


def result_line(result: TrainingResult, note: str = "") -> str:
    """The monitor's headline for a finished run: 'Test accuracy: 98.59% — best epoch 9', then ``note``."""
    return f"Test accuracy: {result.test_accuracy:.2%} — best epoch {result.best_epoch}{note}"
