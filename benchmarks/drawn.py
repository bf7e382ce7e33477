"""Drawing MNIST test digits on the real canvas with mouse events, along their thinned centre lines.

Shared by the drawn-digit benchmark (Draw tab) and the augmentation-recipe comparison.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from benchmarks.skeleton import pen_paths


def draw_test_digits(canvas, images: np.ndarray, n: int, seed: int = 0,
                     predict: Callable[[np.ndarray], np.ndarray] | None = None,
                     every: Callable[[], None] | None = None) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Draw ``n`` random images at random sizes, places and brush widths.

    Returns the canvas's 28×28 model inputs, the chosen indices, and per digit the seconds from the
    drawing to a prediction (when ``predict`` is given). ``every`` runs every 50 digits (event pumping).
    """
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(images), n, replace=False)
    side = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - side) // 2, (canvas.height() - side) // 2
    xs, latencies = [], []
    for k, i in enumerate(idx):
        canvas.clear()
        canvas._undo.clear()
        size = rng.uniform(0.25, 0.9)  # digit height as a share of the canvas
        canvas.brush_width = rng.uniform(0.015, 0.10)  # brush width as a share of the canvas
        x0, y0 = rng.uniform(0, 1 - size, 2)
        scale = size / 20  # MNIST digits span ~20 px
        for path in pen_paths(images[i]):
            pts = [QPoint(ox + int((x0 + (px - 4) * scale) * side), oy + int((y0 + (py - 4) * scale) * side)) for px, py in path]
            QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, pts[0])
            for q in pts[1:]:
                QTest.mouseMove(canvas, q)
            QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, pts[-1])
        t = time.perf_counter()
        x = canvas.to_mnist()
        if predict is not None:
            predict(x[None])
            latencies.append(time.perf_counter() - t)
        xs.append(x)
        if every is not None and k % 50 == 0:
            every()
    return np.stack(xs), idx, latencies
