"""Shared GUI test helpers: a started main window, and drawing on the real canvas with mouse events."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest


def draw_polyline(canvas, points, steps: int = 12) -> None:
    """Press, move through ``points`` (canvas-relative 0-1 coordinates), release."""
    s = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - s) // 2, (canvas.height() - s) // 2

    def px(p):
        return QPoint(ox + int(p[0] * s), oy + int(p[1] * s))

    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, px(points[0]))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for t in range(1, steps + 1):
            QTest.mouseMove(canvas, px((x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps)))
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, px(points[-1]))


def open_window(qtbot, width: int = 1000, height: int = 700, *, need_tf: bool = False, timeout_ms: int = 120_000):
    """A shown main window whose start-up work has finished (default model, MNIST; TensorFlow with ``need_tf``).

    Waits on the app's state (``mnist_gui.startup.is_started``), never on a fixed time; the timeout only
    bounds a start-up that is stuck. Errors shown during start-up are left for the test to check
    (``w.last_error``).
    """
    from mnist_gui.app import create_window
    from mnist_gui.startup import is_started, missing

    w = create_window()
    qtbot.addWidget(w)
    w.resize(width, height)
    w.show()

    def started() -> None:
        assert is_started(w, need_tf), f"the window did not start: still waiting for {', '.join(missing(w, need_tf))}"

    qtbot.waitUntil(started, timeout=timeout_ms)
    return w
