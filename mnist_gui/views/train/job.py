"""Job control for the Train tab: the one ``TrainingWorker`` (training or fine-tuning) and the evaluate-untrained
thread, never both at once (both set Keras' global seed), and jobs asked for before TensorFlow has loaded.

It owns the threads and their lifecycle (start, stop, shutdown); what a finished job *means* (which model
becomes active) is the Train tab's decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from mnist_gui.views.state import AppState
from mnist_gui.views.threads import run_in_thread, start_worker
from mnist_gui.views.train.monitor import TRAINING_FINISH, TrainingMonitor

log = logging.getLogger(__name__)


class JobControl(QObject):
    busyChanged = Signal()  # a job or evaluation started or ended, a stop was asked, a start waits for TensorFlow
    snapshot = Signal(int, object)  # (epoch, numpy predictor of the current weights)
    failed = Signal(str)  # the job raised (message for the user)

    def __init__(self, state: AppState, monitor: TrainingMonitor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.monitor = monitor
        self.worker: Any = None
        self.thread: QThread | None = None
        self.eval_thread: QThread | None = None
        self.stop_requested = False
        self.what = "Training"
        self.pending: tuple[str, Callable[[], None]] | None = None  # (what, start) waiting for TensorFlow
        state.tfReady.connect(self._on_tf_ready)
        state.tfFailed.connect(self._on_tf_failed)

    # --- state -------------------------------------------------------------------------------------------
    def is_training(self) -> bool:
        return self.worker is not None

    def is_evaluating(self) -> bool:
        return self.eval_thread is not None

    def busy(self) -> bool:
        return self.is_training() or self.is_evaluating() or self.pending is not None

    # --- TensorFlow ---------------------------------------------------------------------------------------
    def need_tensorflow(self) -> bool:
        """Ask for TensorFlow (once); True when it is already there. Otherwise the monitor shows it loading."""
        if self.state.tf_ready:
            return True
        self.state.request_tensorflow()
        self.monitor.show_loading(True, _loading_text(self.pending))
        return False

    def when_tf_ready(self, what: str, start: Callable[[], None]) -> None:
        """Run ``start`` now if TensorFlow is loaded, else as soon as it is (a later request replaces this one)."""
        if self.need_tensorflow():
            start()
            return
        self.pending = (what, start)
        self.monitor.show_loading(True, _loading_text(self.pending))
        self.state.show_status(f"{what} starts as soon as TensorFlow has loaded…")
        self.busyChanged.emit()

    def cancel_pending(self) -> bool:
        if self.pending is None:
            return False
        what, _ = self.pending
        self.pending = None
        self.monitor.show_loading(not self.state.tf_ready, _loading_text(None))
        self.state.show_status(f"{what} cancelled")
        self.busyChanged.emit()
        return True

    def _on_tf_ready(self) -> None:
        self.monitor.show_loading(False)
        pending, self.pending = self.pending, None
        if pending is not None and not self.state.closing:
            pending[1]()
        self.busyChanged.emit()

    def _on_tf_failed(self, message: str) -> None:
        """The import failed (the main window shows why): nothing waits for it any more."""
        self.monitor.show_loading(False)
        self.pending = None
        self.busyChanged.emit()

    # --- the training worker ---------------------------------------------------------------------------------
    def start(self, job: Callable[..., Any], epochs: int, samples_per_epoch: int, on_done: Callable[[Any], None],
              what: str, finishing: str = TRAINING_FINISH) -> None:
        """``finishing``: what the job still does after its last batch (the progress line says it then)."""
        from mnist_gui.views.training_worker import TrainingWorker

        self.monitor.start(what, epochs, samples_per_epoch, finishing)
        self.what = what
        self.stop_requested = False
        worker = TrainingWorker(job)
        worker.message.connect(self.monitor.append_log)
        worker.batch.connect(self.monitor.on_batch)
        worker.epochEnd.connect(self.monitor.on_epoch)
        worker.snapshot.connect(self.snapshot)
        worker.weights.connect(self.state.publish_training_weights)
        worker.done.connect(on_done)
        worker.failed.connect(self.failed)
        worker.finished.connect(self._on_worker_finished)
        self.worker = worker
        self.thread = start_worker(worker, "training")
        self.state.show_status(f"{what}…")
        self.busyChanged.emit()

    def stop(self) -> None:
        if self.cancel_pending():
            return
        if self.worker is not None and not self.stop_requested:
            self.worker.stop()
            self.stop_requested = True
            self.state.show_status("Stopping at the next progress check…")
            self.busyChanged.emit()

    def _on_worker_finished(self) -> None:
        self.worker = None
        self.thread = None
        self.monitor.stop_timer()
        self.busyChanged.emit()

    # --- evaluate untrained ------------------------------------------------------------------------------------
    def evaluate(self, fn: Callable[..., float], args: tuple, on_done: Callable[[object], None],
                 on_failed: Callable[[str, object], None]) -> None:
        def done(acc: object) -> None:
            self.eval_thread = None
            self.busyChanged.emit()
            on_done(acc)

        def failed(msg: str, exc: object) -> None:
            self.eval_thread = None
            self.busyChanged.emit()
            on_failed(msg, exc)

        self.eval_thread = run_in_thread(fn, *args, name="evaluate-untrained", on_done=done, on_failed=failed, receiver=self)
        self.busyChanged.emit()

    # --- closing --------------------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Window closing: stop the job (seen within 32 batches) and wait for the threads.

        ``quit()`` first: the worker's ``finished → thread.quit`` is queued to this GUI thread, which is
        blocked in ``wait()`` here, so without it every wait ran to its timeout (a 30 s frozen window).
        """
        self.pending = None
        if self.worker is not None:
            self.worker.stop()
        for t in (self.thread, self.eval_thread):
            if t is not None:
                try:
                    t.quit()  # thread-safe; the running job is not interrupted, its thread ends when it returns
                    if not t.wait(timeout_ms):
                        log.warning("the %s thread did not end within %d ms", t.objectName(), timeout_ms)
                except RuntimeError:  # already deleted
                    pass


def _loading_text(pending: tuple[str, Any] | None) -> str:
    return "Loading TensorFlow…" + (f" {pending[0]} starts when it is ready." if pending else "")
