"""The training worker: a QObject on its own QThread that owns TensorFlow and the model while it trains
or fine-tunes (a job: ``run_training`` or ``run_finetune`` bound to its arguments).

The Keras callback only emits signals (per-batch ones throttled) and checks a ``threading.Event``;
widgets are touched only by the slots on the GUI thread. At each epoch end it also copies the current
weights into a numpy predictor (``snapshot``, for the live test strip) and the first layer's kernel
(``weights``, for the Inside view): a few MB of copies, throttled, so training does not slow noticeably.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from mnist_gui.errors import UserError
from mnist_gui.ml.training import TrainingReporter
from mnist_gui.views.threads import lower_priority

log = logging.getLogger(__name__)

BATCH_SIGNAL_INTERVAL_S = 0.5  # at most 2 batch signals a second: on 2 cores every GUI wake-up slows TF's threads
SNAPSHOT_INTERVAL_S = 0.25  # epoch-end weight snapshots at most 4 a second (tiny runs end epochs faster than that)


def lower_background_priority(gui_tid: int) -> int:
    """Give every thread but the GUI thread a lower CPU priority (Linux; a no-op elsewhere).

    On a 2-core machine TensorFlow's spinning thread pools otherwise starve the event loop in 50-100 ms
    slices. With them niced, the GUI thread runs the moment it wakes, and TF loses only the little CPU
    the GUI actually uses. Returns how many threads were changed.
    """
    if not hasattr(os, "setpriority") or not os.path.isdir("/proc/self/task"):
        return 0
    changed = 0
    for name in os.listdir("/proc/self/task"):
        if int(name) != gui_tid:
            changed += lower_priority(int(name))
    return changed


class _SignalReporter(TrainingReporter):
    def __init__(self, worker: TrainingWorker) -> None:
        self.w = worker
        self._last = 0.0
        self._reniced = False
        self._stop_reported = False

    def message(self, text: str) -> None:
        self.w.message.emit(text)

    def batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None:
        if not self._reniced:  # TF's pools exist once the first batch ran
            self._reniced = True
            lower_background_priority(self.w.gui_tid)
        now = time.perf_counter()
        # The batch at which a stop is noticed is always reported, so the Train tab's "Stopped at step N"
        # and its bar name the step where training actually ended, not the last throttled one.
        stopping = self.w.stop_event.is_set() and not self._stop_reported
        if now - self._last >= BATCH_SIGNAL_INTERVAL_S or step >= steps or stopping:
            self._last = now
            self._stop_reported = self._stop_reported or stopping
            self.w.batch.emit(epoch, step, steps, logs)

    def epoch(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        self.w.epochEnd.emit(epoch, logs, seconds)

    _last_snapshot = 0.0

    def epoch_model(self, epoch: int, model: Any) -> None:
        """The model as it is at the end of ``epoch``: snapshot it for the GUI (throttled; errors only logged)."""
        now = time.perf_counter()
        if now - self._last_snapshot < SNAPSHOT_INTERVAL_S or self.w.stop_event.is_set():
            return
        self._last_snapshot = now
        try:
            predictor, kernel = snapshot(model)
        except Exception as exc:  # a model the numpy predictors cannot run: no live strip, training goes on
            log.debug("no epoch snapshot: %s", exc)
            return
        self.w.snapshot.emit(epoch, predictor)
        if kernel is not None:
            self.w.weights.emit(epoch, kernel)


def _bare_model(model: Any) -> Any:
    """The trained network inside a training-only wrapper (augmentation + model), else the model itself."""
    inner = [layer for layer in getattr(model, "layers", []) if hasattr(layer, "layers") and getattr(layer, "layers", None)]
    return _bare_model(inner[-1]) if inner else model


def snapshot(model: Any) -> tuple[Any, Any]:
    """(numpy predictor of the current weights, copy of the first layer's kernel) — conv1 for a CNN, the first
    Dense (784, units) for the MLP."""
    from mnist_gui.ml.explain import first_kernel
    from mnist_gui.ml.inference import predictor_from_keras

    predictor = predictor_from_keras(_bare_model(model), name="live")
    kernel = first_kernel(predictor)
    # the predictor's arrays are already copies; the GUI gets its own
    return predictor, (kernel.copy() if kernel is not None else None)


class TrainingWorker(QObject):
    message = Signal(str)
    batch = Signal(int, int, int, dict)
    epochEnd = Signal(int, dict, float)
    snapshot = Signal(int, object)  # (epoch, numpy predictor of the weights at that epoch's end)
    weights = Signal(int, object)  # (epoch, first-layer kernel copy) for the Inside view
    done = Signal(object)  # the job's result (TrainingResult, FinetuneResult), complete with its .predictor
    failed = Signal(str)
    finished = Signal()

    def __init__(self, job: Callable[[TrainingReporter, threading.Event], Any]) -> None:
        super().__init__()
        self.job = job
        self.stop_event = threading.Event()
        self.gui_tid = threading.get_native_id()  # constructed on the GUI thread

    def stop(self) -> None:
        """Thread-safe: called from the GUI thread; honoured at the next batch callback."""
        self.stop_event.set()

    @Slot()
    def run(self) -> None:
        try:
            lower_background_priority(self.gui_tid)  # threads TF creates from here inherit it
            result = self.job(_SignalReporter(self), self.stop_event)
            self.done.emit(result)
        except UserError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:
            log.error("training job failed:\n%s", traceback.format_exc())
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.finished.emit()
