"""What training and fine-tuning share: the reporter interface, why a job stopped, the Keras-style epoch line,
and the Keras callback that forwards progress and honours the stop event. No Qt; Keras only inside
``progress_callback``.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from pathlib import Path
from typing import Any


class StopReason(enum.Enum):
    """How a training or fine-tuning job ended. ``value`` is the text shown to the user."""

    COMPLETED = "completed"
    STOPPED_BY_USER = "stopped by user"
    DIVERGED = "the loss became NaN/infinite (learning rate too high?)"

    @property
    def stopped(self) -> bool:
        """Whether the job ended before its last epoch."""
        return self is not StopReason.COMPLETED

    @property
    def text(self) -> str:
        """``""`` for a completed job, else the reason (what ``stop_reason`` held before this enum)."""
        return "" if self is StopReason.COMPLETED else self.value

    @classmethod
    def from_text(cls, text: str | None) -> StopReason:
        """The reason a record's ``stop_reason`` text names (``""``: completed; "interrupted": stopped by the user)."""
        if not text:
            return cls.COMPLETED
        if "NaN" in text or "infinite" in text:
            return cls.DIVERGED
        return cls.STOPPED_BY_USER


class TrainingReporter:
    """Receives progress. Methods are called on the training thread: implementations only forward."""

    def message(self, text: str) -> None:
        """One line of the Keras-style log."""

    def batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None:
        """Running loss/accuracy after ``step`` of ``steps`` batches of epoch ``epoch`` (0-based)."""

    def epoch(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        """End of an epoch, with val metrics."""

    def checkpoint(self, epoch: int, val_loss: float, path: Path) -> None:
        """A new best checkpoint was written."""

    def epoch_model(self, epoch: int, model: Any) -> None:
        """The Keras model as it is at the end of ``epoch`` (for live views: copy what you need, quickly)."""


def floats(logs: Any) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


def epoch_line(steps: int, seconds: float, logs: dict[str, float], done: int | None = None) -> str:
    """``375/375 - 4.2s - loss: 0.2412 - accuracy: 0.9290 - val_loss: …`` (the learning rate left out).

    ``done``: the steps the epoch ran, when a stop ended it early: ``160/375 … (stopped mid-epoch)``.
    """
    parts = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k != "learning_rate")
    done = steps if done is None else done
    cut = " (stopped mid-epoch)" if done < steps else ""
    return f"{done}/{steps} - {seconds:.1f}s" + (f" - {parts}" if parts else "") + cut


def stop_reason(logs: dict[str, float], stop_event: threading.Event) -> StopReason | None:
    """Why training should stop after a batch with these ``logs``: a non-finite loss first, then the user's stop."""
    if any(not math.isfinite(v) for v in logs.values()):
        return StopReason.DIVERGED
    if stop_event.is_set():
        return StopReason.STOPPED_BY_USER
    return None


def progress_callback(reporter: TrainingReporter, stop_event: threading.Event, epochs: int, steps: int,
                      announce: bool = True) -> Any:
    """A Keras callback: "Epoch i/n" and the epoch line to ``reporter``, batch progress, and the stop checks.

    ``steps`` is the number of batches per epoch (``config.steps_per_epoch``); with ``steps_per_execution``
    Keras reports the last step of each chunk, clamped here to ``steps``. ``.reason`` tells why fitting
    stopped (``COMPLETED`` if it did not). ``.epoch_base`` offsets the epoch numbers when the caller runs
    one ``fit`` per epoch (fine-tuning); ``announce=False`` leaves the "Epoch i/n" line to the caller.
    """
    import keras

    class Progress(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch_base = 0
            self.epoch = 0
            self.steps = steps
            self.t0 = 0.0
            self.done = 0
            self.reason = StopReason.COMPLETED

        def _stop(self, reason: StopReason | None) -> None:
            if reason is not None and self.reason is StopReason.COMPLETED and not self.model.stop_training:
                self.model.stop_training = True
                self.reason = reason

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch, self.t0 = self.epoch_base + epoch, time.perf_counter()
            self.done = 0  # steps this epoch ran: fewer than ``steps`` when a stop ends it early
            if announce:
                reporter.message(f"Epoch {self.epoch + 1}/{epochs}")
            self._stop(StopReason.STOPPED_BY_USER if stop_event.is_set() else None)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            values = floats(logs)
            self.done = min(batch + 1, self.steps)
            reporter.batch(self.epoch, self.done, self.steps, values)
            self._stop(stop_reason(values, stop_event))

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            values, dt = floats(logs), time.perf_counter() - self.t0
            reporter.message(epoch_line(self.steps, dt, values, self.done))
            reporter.epoch(self.epoch, values, dt)
            reporter.epoch_model(self.epoch, self.model)

    return Progress()
