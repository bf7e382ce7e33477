"""Waiting for a started main window: one predicate and one wait, shared by the smoke test, the benchmarks
and the tests (which poll ``is_started`` with ``qtbot.waitUntil``).

"Started" means the start-up work the window does after its first paint has finished: the active model
and MNIST are loaded. With ``need_tf`` TensorFlow must be imported too; TensorFlow is imported only when
first needed, so ``need_tf`` also *asks* for it (``AppState.request_tensorflow``), or a wait could hang on
an import nobody started.

Qt only: no TensorFlow, no matplotlib.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

POLL_MS = 20  # the wait checks the state this often; in between, the event loop sleeps in the OS


def request_tensorflow(window) -> None:
    """Start the background TensorFlow import if nothing has yet (idempotent)."""
    state = window.state
    request = getattr(state, "request_tensorflow", None)  # absent while TensorFlow is imported at every start
    if request is not None and not state.tf_ready:
        request()


def missing(window, need_tf: bool = False, idle: bool = False) -> list[str]:
    """What the window is still waiting for, in words ([] once started)."""
    state = window.state
    out = []
    if state.model is None:
        out.append("the default model")
    if state.data is None:
        out.append("MNIST")
    if need_tf and not state.tf_ready:
        request_tensorflow(window)
        out.append("TensorFlow")
    if idle:
        from mnist_gui.views.threads import running_threads

        out += [f"background thread {name!r}" for name in running_threads()]
    return out


def is_started(window, need_tf: bool = False) -> bool:
    """Model and data loaded (and TensorFlow imported, with ``need_tf``, which requests the import)."""
    return not missing(window, need_tf)


def wait_until_started(window, app: QCoreApplication | None = None, *, need_tf: bool = False, idle: bool = False,
                       timeout_s: float = 180.0) -> str | None:
    """Run the event loop until ``window`` has started; returns None, or why it did not.

    ``idle`` also waits until no background thread of the app runs (start-up's later imports included):
    the steady state a benchmark measures from. An error dialog (``window.last_error``) ends the wait with
    its text: for a fresh window, any error during start-up is a failed start. ``app`` defaults to the
    running QApplication.
    """
    if (app or QCoreApplication.instance()) is None:
        raise RuntimeError("wait_until_started needs a QApplication")
    deadline = time.monotonic() + timeout_s
    outcome: list[str | None] = []
    loop = QEventLoop()
    quiet = [0]  # consecutive checks with nothing left: a thread that just ended may still have a result queued

    def check() -> None:
        error = getattr(window, "last_error", "")
        left = missing(window, need_tf, idle)
        quiet[0] = 0 if left else quiet[0] + 1
        if error:
            outcome.append(error)
        elif quiet[0] >= (2 if idle else 1):
            outcome.append(None)
        elif left and time.monotonic() > deadline:
            outcome.append(f"not started after {timeout_s:g} s: still waiting for {', '.join(left)}")
        else:
            return
        timer.stop()
        loop.quit()

    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(check)
    check()
    if not outcome:
        timer.start()
        loop.exec()
    return outcome[0]
