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


def open_window(qtbot, width: int = 1000, height: int = 700):
    """A shown main window whose start-up work (default model, MNIST) has finished."""
    from mnist_gui.app import create_window

    w = create_window()
    qtbot.addWidget(w)
    w.resize(width, height)
    w.show()
    qtbot.waitUntil(lambda: w.state.model is not None and w.state.data is not None, timeout=20000)
    return w
