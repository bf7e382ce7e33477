"""The Inside tab's background work: at most one job per (kind, model key), each in a thread of its own, and
its results kept per model, so that switching back to a model seen before costs nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread

from mnist_gui.views.threads import run_in_thread

CACHE_MODELS = 4  # per kind of result: enough to switch back and forth between a few models for free


class ModelCache(dict[str, Any]):
    """Results by model key; past :data:`CACHE_MODELS` the oldest goes."""

    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        while len(self) > CACHE_MODELS:
            self.pop(next(iter(self)))


class Jobs:
    """The jobs under way, as ``(kind, key)`` (``job in jobs``), and their threads until those have ended.

    Callbacks arrive on ``receiver``'s (the GUI) thread; the job counts as under way until its callback ran.
    """

    def __init__(self, receiver: QObject) -> None:
        self._receiver = receiver
        self._running: set[tuple[str, str]] = set()
        self._threads: list[QThread] = []

    def __contains__(self, job: object) -> bool:
        return job in self._running

    def start(self, kind: str, key: str, fn: Callable[..., Any], *args: Any, name: str,
              on_done: Callable[[Any], None], on_failed: Callable[[str], None]) -> None:
        """``fn(*args)`` in a niced background thread; then ``on_done(result)`` or ``on_failed(message)``."""
        job = (kind, key)
        self._running.add(job)

        def done(result: Any) -> None:
            self._running.discard(job)
            on_done(result)

        def failed(message: str, _exc: object) -> None:
            self._running.discard(job)
            on_failed(message)

        self._threads.append(run_in_thread(fn, *args, name=name, background=True, on_done=done, on_failed=failed,
                                           receiver=self._receiver))

    def busy(self) -> bool:
        """Work under way, until its thread has really ended (tests wait for it)."""
        alive = []
        for t in self._threads:
            try:
                if t.isRunning():
                    alive.append(t)
            except RuntimeError:  # deleted after finishing
                continue
        self._threads = alive
        return bool(self._running) or bool(alive)
