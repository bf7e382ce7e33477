"""Guards for the installed stack: regressions in dependencies that would crash the app."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath


def test_pyside_void_calls_keep_none_refcount():
    """PySide6 6.12.0 on Python 3.11 decrefs None on every void call; a drawing session then aborts."""
    path = QPainterPath(QPointF(0, 0))
    before = sys.getrefcount(None)
    for i in range(2000):
        path.lineTo(float(i), 1.0)
    assert sys.getrefcount(None) - before > -100


def test_painting_stays_on_the_calling_thread(qapp):
    """Qt hands big fills (an antialiased plot line) to a thread pool and waits for it; while TensorFlow trains on
    both cores those threads first have to win a core. ``mnist_gui`` turns the pool off (QT_NO_GUI_THREADPOOL)
    before Qt starts one: a large antialiased drawing starts no pool thread."""
    import importlib
    import os
    from pathlib import Path

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    importlib.import_module("mnist_gui")  # what sets the variable (conftest has imported it before any painting)
    def pool_threads() -> int:
        return sum("pooled" in (t / "comm").read_text() for t in Path("/proc/self/task").iterdir())

    assert os.environ.get("QT_NO_GUI_THREADPOOL") is not None  # Qt asks only whether it is set
    image = QImage(1200, 1200, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.white)
    p = QPainter(image)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(QPen(QColor("steelblue"), 3))
    for i in range(50):  # each line spans far more than the 96 rows that make Qt split a fill across threads
        p.drawLine(0, i * 7, 1199, 1199 - i * 5)
    p.fillRect(0, 0, 1200, 1200, QColor(0, 0, 0, 40))
    p.end()
    if Path("/proc/self/task").is_dir():
        assert pool_threads() == 0
