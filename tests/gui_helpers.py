"""Drawing on the real canvas with mouse events (tests and the drawn-digit benchmark share this)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest


def draw_polyline(canvas, points, steps: int = 12) -> None:  # noqa: ANN001
    """Press, move through ``points`` (canvas-relative 0-1 coordinates), release."""
    s = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - s) // 2, (canvas.height() - s) // 2

    def px(p):  # noqa: ANN001, ANN202
        return QPoint(ox + int(p[0] * s), oy + int(p[1] * s))

    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, px(points[0]))
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for t in range(1, steps + 1):
            QTest.mouseMove(canvas, px((x0 + (x1 - x0) * t / steps, y0 + (y1 - y0) * t / steps)))
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, px(points[-1]))
