"""Numbers on the canvas (issue 13): MNIST test digits drawn side by side with mouse events, then split.

``python -m benchmarks.numbers MEASURE [key=JSON …]`` prints one JSON line:

- ``multidigit_segmentation``: numbers of 1–5 digits (each digit as many short strokes, random heights,
  gaps down to about one pen width, baseline jitter, never touching): how many numbers split into the
  right count of digits, and how many single digits were cut in two;
- ``multidigit_digit_accuracy``: per-digit accuracy in those numbers (where the count was right) and the
  accuracy of the same digits drawn one at a time on the same canvas, with the same model;
- ``multidigit_p95_ms``: seconds from a stroke's release to the Draw tab showing the number, 5 digits;
- ``number_image_accuracy``: the same numbers rendered to PNG and read as ``mnist-gui predict`` reads a file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from benchmarks import common  # first: the environment

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from benchmarks.skeleton import pen_paths

SEGMENT_POINTS = 5  # a digit's centre line drawn as strokes of at most this many points (short strokes)


@dataclass
class Drawn:
    labels: list[int]
    indices: list[int]
    spans: list[tuple[float, float]]  # each digit's ink x-extent in square units


def _short_strokes(path: list[tuple[float, float]], rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """A polyline as several short strokes, each starting where the last ended (a hand lifting the pen)."""
    if len(path) <= 2:
        return [path]
    out, i = [], 0
    while i < len(path) - 1:
        j = min(len(path) - 1, i + int(rng.integers(2, SEGMENT_POINTS + 1)))
        out.append(path[i : j + 1])
        i = j
    return out


def draw_number(canvas, images: np.ndarray, indices: list[int], rng: np.random.Generator, *,
                after_stroke=None, short: bool = True) -> Drawn:
    """Draw the test images ``indices`` left to right on ``canvas`` (cleared first) with mouse events,
    each centre line as many short strokes (``short``) or as one stroke (a few strokes per digit)."""
    canvas.clear()
    canvas._undo.clear()
    side = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    units_w = canvas.width() / side
    n = len(indices)
    height = rng.uniform(0.22, 0.42) * min(1.0, 4.0 / max(n, 1) * units_w / 2.2)  # five digits must fit
    pen = height * rng.uniform(0.07, 0.14)
    canvas.brush_width = pen
    paths = [pen_paths(images[i]) for i in indices]
    hs = [height * rng.uniform(0.85, 1.15) for _ in indices]
    widths = []
    for ps, h in zip(paths, hs):
        xs = [p[0] for path in ps for p in path]
        widths.append(((max(xs) - min(xs)) * h / 20 + pen, min(xs)))
    gaps = [pen * rng.uniform(1.0, 3.0) for _ in range(n - 1)]
    total = sum(w for w, _ in widths) + sum(gaps)
    x = (units_w - total) / 2 - ox / side
    base = 0.5
    spans = []
    for k, (ps, h, (w, xmin)) in enumerate(zip(paths, hs, widths)):
        scale = h / 20
        y0 = base - h / 2 + rng.uniform(-0.06, 0.06) * h  # baseline jitter
        x0 = x + pen / 2 - xmin * scale
        spans.append((x, x + w))
        for path in ps:
            for seg in _short_strokes(path, rng) if short else [path]:
                pts = [QPoint(round(ox + (x0 + px * scale) * side), round(oy + (y0 + (py - 4) * scale) * side)) for px, py in seg]
                QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, pts[0])
                for q in pts[1:]:
                    QTest.mouseMove(canvas, q)
                QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, pts[-1])
                if after_stroke is not None:
                    after_stroke()
        x += w + (gaps[k] if k < n - 1 else 0)
    return Drawn([], list(indices), spans)


def _numbers(data, count: int, seed: int, lengths=(1, 2, 3, 4, 5)) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [rng.choice(len(data.x_test), int(lengths[k % len(lengths)]), replace=False).tolist() for k in range(count)]


def _split_count(spans: list[tuple[float, float]], boxes: list[tuple[float, float, float, float]]) -> int:
    """Digits whose ink is shared by two or more groups, each holding a real part (≥ 20% of its width)."""
    n = 0
    for a, b in spans:
        parts = [min(b, bx[2]) - max(a, bx[0]) for bx in boxes]
        n += sum(p > 0.2 * (b - a) for p in parts) >= 2
    return n


def _run(count: int, seed: int, *, single: bool = False, images: bool = False) -> dict:
    app, w = common.started_window(size=(1366, 768))
    tab, data = w.draw_tab, w.state.data
    predictor = w.state.model.predictor
    rng = np.random.default_rng(seed + 1)
    right = splits = digits = 0
    multi_ok = multi_n = 0
    preds_multi, labels_multi, singles, ink_rows = [], [], [], []
    for k, idx in enumerate(_numbers(data, count, seed)):
        drawn = draw_number(tab.canvas, data.x_test, idx, rng)
        found = tab.canvas.digit_inputs()
        digits += len(idx)
        right += len(found) == len(idx)
        splits += _split_count(drawn.spans, [d.box for d in found])
        labels = data.y_test[idx]
        if len(found) == len(idx):
            p = predictor.predict(np.stack([d.x for d in found])).argmax(1)
            multi_ok += int((p == labels).sum())
            multi_n += len(idx)
            preds_multi.append(p)
            labels_multi.append(labels)
        if images:
            ink_rows.append((tab.canvas.render_array(), labels))
        if single:  # the same digits, one at a time, same canvas, pen and size
            for i in idx:
                draw_number(tab.canvas, data.x_test, [i], np.random.default_rng(seed * 7919 + int(i)))
                singles.append((tab.canvas.to_mnist(), int(data.y_test[i])))
        if k % 20 == 0:
            app.processEvents()
    out = {"numbers": count, "digits": digits, "right_count": right, "split_digits": splits,
           "multi_correct": multi_ok, "multi_digits": multi_n}
    if single:
        xs = np.stack([s[0] for s in singles])
        ys = np.array([s[1] for s in singles])
        out["single_accuracy"] = float((predictor.predict(xs).argmax(1) == ys).mean())
    if images:
        out.update(_image_accuracy(ink_rows))
    w.close()
    return out


def _image_accuracy(rows) -> dict:
    """Each number saved as a dark-on-light PNG, then read by ``mnist-gui predict``'s own code (the default
    model, as on the canvas), its printed number compared with the labels digit by digit."""
    import argparse
    import contextlib
    import io
    import tempfile
    from pathlib import Path

    from PIL import Image

    from mnist_gui.cli import cmd_predict

    ok = n = right = 0
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for k, (ink, _labels) in enumerate(rows):
            paths.append(str(Path(d) / f"n{k}.png"))
            Image.fromarray((255 - np.clip(ink, 0, 1) * 255).astype(np.uint8)).save(paths[-1])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cmd_predict(argparse.Namespace(model=None, images=paths))
    read = {}
    for line in out.getvalue().splitlines():  # "PATH: 2026 (2 97.1%, …)" or "PATH: 7 (97.1%)"
        path, sep, rest = line.partition(": ")
        if sep and rest:
            read[path] = rest.split()[0]
    for path, (_ink, labels) in zip(paths, rows):
        number = read.get(path, "")
        n += len(labels)
        if len(number) != len(labels) or not number.isdigit():
            continue
        right += 1
        ok += sum(int(c) == int(y) for c, y in zip(number, labels))
    return {"image_right_count": right, "image_correct": ok, "image_digits": n}


def multidigit_segmentation(count: int = 300, seed: int = 0) -> dict:
    return _run(count, seed)


def multidigit_digit_accuracy(count: int = 300, seed: int = 0) -> dict:
    return _run(count, seed, single=True)


def number_image_accuracy(count: int = 300, seed: int = 0) -> dict:
    return _run(count, seed, images=True)


def multidigit_p95_ms(count: int = 40, seed: int = 3) -> dict:
    """Per stroke of 5-digit numbers drawn with realistic strokes (a few per digit, along the centre lines):
    from its release to the Draw tab showing the number (split, both models in one batch each, display)."""
    app, w = common.started_window(size=(1366, 768))
    tab, data = w.draw_tab, w.state.data
    rng = np.random.default_rng(seed)
    times: list[float] = []
    shown: list[int] = []

    cpu: list[float] = []

    def after() -> None:
        t, c = time.perf_counter(), time.thread_time()
        tab._timer.stop()  # the throttle's timer would fire later; time the update it runs
        tab.update_prediction()
        times.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)  # the same without the waits of a shared, loaded machine
        shown.append(len(tab.digits))

    for idx in _numbers(data, count, seed, lengths=(5,)):
        draw_number(tab.canvas, data.x_test, idx, rng, after_stroke=after, short=False)
        app.processEvents()
    w.close()
    return {"seconds": times, "cpu_seconds": cpu, "strokes": len(tab.canvas.strokes), "final_counts": shown[-1:],
            "compare_model": w.state.compare_model is not None}


MEASURES = {"multidigit_segmentation": multidigit_segmentation, "multidigit_digit_accuracy": multidigit_digit_accuracy,
            "multidigit_p95_ms": multidigit_p95_ms, "number_image_accuracy": number_image_accuracy}

if __name__ == "__main__":
    raise SystemExit(common.main(MEASURES))
