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
