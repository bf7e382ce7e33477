"""The prediction cache on ``AppState``: per model and split, the class each image is read as.

Whole splits are predicted off the GUI thread, one job at a time (the test split first when both are asked
for: the confusion matrix needs it), so the GUI thread keeps a core for the person browsing. Entries are
keyed by the predictor object, so a model change can never show another model's answers; they are dropped
when their model is no longer the active, default or compare model, and when the data (train/test) or My
digits change. A job that fails is remembered (``error``) and reported (``failed``) until it is asked again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from mnist_gui.views.threads import run_in_thread

if TYPE_CHECKING:
    from mnist_gui.views.state import AppState

from mnist_gui.ml.evaluation import confusion_matrix, predict_classes

__all__ = ["PredictionCache", "confusion_matrix", "predict_classes"]

log = logging.getLogger(__name__)

SPLITS = ("train", "test", "mine")


class PredictionCache(QObject):
    """Class predictions per (predictor, split); ``ready(split)`` when a background job stored one,
    ``failed(predictor, split, message)`` when one raised."""

    ready = Signal(str)
    failed = Signal(object, str, str)

    def __init__(self, state: AppState) -> None:
        super().__init__(state)
        self._state = state
        self._store: dict[tuple[int, str], tuple[object, np.ndarray]] = {}
        self._errors: dict[tuple[int, str], tuple[object, str]] = {}  # failed jobs: why, until asked again
        self._generation = dict.fromkeys(SPLITS, 0)  # bumped when a split's images change: late results dropped
        self._queue: list[tuple[object, str]] = []
        self._running: tuple[object, str] | None = None
        self.thread: QThread | None = None
        state.modelChanged.connect(self._prune)
        state.compareModelChanged.connect(self._prune)
        state.dataChanged.connect(lambda: self.invalidate("train", "test"))
        state.myDigitsChanged.connect(lambda: self.invalidate("mine"))

    # --- reading ----------------------------------------------------------------------------------------
    def images(self, split: str) -> np.ndarray:
        if split == "mine":
            return self._state.my_digits.x
        d = self._state.data
        if d is None:
            return np.zeros((0, 28, 28), np.uint8)
        return d.x_train if split == "train" else d.x_test

    def get(self, predictor: object | None, split: str) -> np.ndarray | None:
        if predictor is None:
            return None
        hit = self._store.get((id(predictor), split))
        return hit[1] if hit is not None and hit[0] is predictor else None

    def error(self, predictor: object | None, split: str) -> str | None:
        """Why the last job for ``split`` with ``predictor`` failed; None when it did not (or is asked again)."""
        hit = self._errors.get((id(predictor), split))
        return hit[1] if hit is not None and hit[0] is predictor else None

    def predict_now(self, predictor: object | None, split: str) -> np.ndarray | None:
        """Predict on the calling thread (My digits: hundreds of images, a few ms) and store the result."""
        if predictor is None:
            return None
        hit = self.get(predictor, split)
        if hit is None:
            x = self.images(split)
            if not len(x):
                return None
            hit = predict_classes(predictor, x)
            self._store[(id(predictor), split)] = (predictor, hit)
        return hit

    # --- background jobs --------------------------------------------------------------------------------
    def request(self, predictor: object | None, split: str, *, first: bool = False) -> None:
        """Predict ``split`` off the GUI thread unless stored or already queued; ``ready(split)`` follows."""
        if predictor is None or self.get(predictor, split) is not None or self._state.closing:
            return
        job = (predictor, split)
        if self._running is not None and self._running[0] is predictor and self._running[1] == split:
            return
        if any(p is predictor and s == split for p, s in self._queue):
            if not first:
                return
            self._queue = [(p, s) for p, s in self._queue if not (p is predictor and s == split)]
        self._errors.pop((id(predictor), split), None)  # asked again: try again
        if first:
            self._queue.insert(0, job)
        else:
            self._queue.append(job)
        self._next()

    def busy(self) -> bool:
        return self._running is not None or bool(self._queue)

    def _next(self) -> None:
        if self._running is not None or not self._queue or self._state.closing:
            return
        predictor, split = self._running = self._queue.pop(0)
        x, gen = self.images(split), self._generation[split]
        self.thread = run_in_thread(predict_classes, predictor, x, name=f"predict-{split}", background=True,
                                    on_done=lambda pred: self._done(predictor, split, gen, pred),
                                    on_failed=lambda message, exc: self._failed(predictor, split, gen, message),
                                    receiver=self)

    def _done(self, predictor: object, split: str, gen: int, pred: np.ndarray) -> None:
        self._running, self.thread = None, None
        if gen == self._generation[split] and self._wanted(predictor):
            self._store[(id(predictor), split)] = (predictor, pred)
            self.ready.emit(split)
        self._next()

    def _failed(self, predictor: object, split: str, gen: int, message: str) -> None:
        self._running, self.thread = None, None
        log.warning("predicting the %s split failed: %s", split, message)
        if gen == self._generation[split] and self._wanted(predictor):  # else nobody waits for these answers
            self._errors[(id(predictor), split)] = (predictor, message)
            self.failed.emit(predictor, split, message)
        self._next()

    # --- invalidation -----------------------------------------------------------------------------------
    def _wanted(self, predictor: object) -> bool:
        s = self._state
        return any(m is not None and m.predictor is predictor for m in (s.model, s.default_model, s.compare_model))

    def _prune(self) -> None:
        """Drop predictions (and queued jobs) of models no longer in use."""
        self._store = {k: v for k, v in self._store.items() if self._wanted(v[0])}
        self._errors = {k: v for k, v in self._errors.items() if self._wanted(v[0])}
        self._queue = [(p, s) for p, s in self._queue if self._wanted(p)]

    def invalidate(self, *splits: str) -> None:
        """The images of ``splits`` changed: forget their predictions; running jobs' results will be dropped."""
        for split in splits:
            self._generation[split] += 1
        self._store = {k: v for k, v in self._store.items() if k[1] not in splits}
        self._errors = {k: v for k, v in self._errors.items() if k[1] not in splits}
        self._queue = [(p, s) for p, s in self._queue if s not in splits]
