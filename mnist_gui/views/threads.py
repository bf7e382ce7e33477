"""Worker threads, one pattern for all: a QObject moved to a QThread (superqt's ``new_worker_qthread``).

``thread.started → worker.run``; the worker's ``finished`` → back to the GUI thread, ``thread.quit`` and
``deleteLater`` (so it is destroyed on the GUI thread); ``thread.finished`` → ``deleteLater``. Every thread started here is registered so tests (and shutdown) can check
that none is left running.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

log = logging.getLogger(__name__)

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()
_alive: dict[QThread, QObject] = {}  # strong refs to thread and worker until finished, so Python never destroys them


def running_threads() -> list[str]:
    out = []
    for t in list(_threads):
        try:
            if t.isRunning():
                out.append(t.objectName() or repr(t))
        except RuntimeError:  # C++ object already deleted
            continue
    return out


def start_worker(worker: QObject, name: str) -> QThread:
    """Move ``worker`` (with ``run()`` and a ``finished`` signal) to a new QThread and start it."""
    thread = QThread()
    thread.setObjectName(name)
    home = QThread.currentThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # The worker goes home before it is deleted: destroyed on its own thread, PySide's ~QObject waits for the
    # GIL while holding Qt's connection lock, and a GUI thread that holds the GIL and (dis)connects anything
    # deadlocks against it. Direct: runs on the worker thread, the only one allowed to move it.
    worker.finished.connect(lambda w=worker, h=home: w.moveToThread(h), Qt.DirectConnection)
    worker.finished.connect(thread.quit)
    worker.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    thread.finished.connect(lambda t=thread: _alive.pop(t, None))
    _threads.add(thread)
    _alive[thread] = worker
    thread.start()
    return thread


def wait_all(timeout_ms: int = 15000) -> None:
    """Block until every registered thread has finished (used at shutdown)."""
    for t in list(_alive):
        try:
            t.quit()
            t.wait(timeout_ms)
        except RuntimeError:
            continue


class FunctionWorker(QObject):
    """Runs ``fn(*args)`` off the GUI thread; emits ``done(result)`` or ``failed(message, exception)``."""

    done = Signal(object)
    failed = Signal(str, object)
    finished = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, background: bool = False) -> None:
        super().__init__()
        self._fn, self._args, self._background = fn, args, background

    @Slot()
    def run(self) -> None:
        from mnist_gui.errors import UserError

        if self._background:
            lower_this_thread()
        try:
            result = self._fn(*self._args)
        except UserError as exc:
            self.failed.emit(str(exc), exc)
        except Exception as exc:  # reported to the user, with the traceback in the log
            log.error("worker failed:\n%s", traceback.format_exc())
            self.failed.emit(f"{type(exc).__name__}: {exc}", exc)
        else:
            self.done.emit(result)
        finally:
            self.finished.emit()


BACKGROUND_NICE = 10


def lower_priority(tid: int) -> bool:
    """Thread ``tid`` at ``BACKGROUND_NICE`` unless it is already lower (Linux: a thread is a task with its own
    nice value; it ends with the thread). Elsewhere a no-op. Returns whether it was changed."""
    try:
        if os.getpriority(os.PRIO_PROCESS, tid) >= BACKGROUND_NICE:
            return False
        os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
        return True
    except (AttributeError, OSError):
        return False


def lower_this_thread() -> None:
    """The calling thread at a lower CPU priority (``lower_priority``)."""
    lower_priority(threading.get_native_id())


def run_in_thread(fn: Callable[..., Any], *args: Any, name: str, on_done: Callable[[Any], None] | None = None,
                  on_failed: Callable[[str, object], None] | None = None, receiver: QObject | None = None,
                  background: bool = False) -> QThread:
    """Run a plain function in a worker thread; callbacks arrive on ``receiver``'s (the GUI) thread.

    ``background``: at a lower CPU priority. On 2 cores two busy workers at normal priority kept the GUI
    thread waiting up to 128 ms for a core (measured from its schedstat); niced, it runs as soon as it wakes.
    """
    worker = FunctionWorker(fn, *args, background=background)
    if on_done is not None:
        worker.done.connect(on_done if receiver is None else _bound(receiver, on_done))
    if on_failed is not None:
        worker.failed.connect(on_failed if receiver is None else _bound(receiver, on_failed))
    return start_worker(worker, name)


class _Relay(QObject):
    """Lives on the receiver's thread, so signals connected to it are queued there."""

    fire = Signal(tuple)

    def __init__(self, fn: Callable[..., None], parent: QObject) -> None:
        super().__init__(parent)
        self._fn = fn
        self.fire.connect(self._call)

    @Slot(tuple)
    def _call(self, args: tuple) -> None:
        self._fn(*args)


def _bound(receiver: QObject, fn: Callable[..., None]) -> Callable[..., None]:
    relay = _Relay(fn, receiver)

    def forward(*args: Any) -> None:
        try:
            relay.fire.emit(args)
        except RuntimeError:  # the receiver (a closed window) is gone: nobody wants the result
            log.debug("dropped a result for a deleted receiver")

    return forward
