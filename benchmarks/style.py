"""A reproducible "new handwriting style" for the fine-tuning benchmark.

Pen strokes for a boxy, European hand that MNIST (American census and school writing) rarely shows:
slashed zero, one with a flag and a base, flat-topped three, open four, crossed seven, and square
sixes, eights and nines. Each drawing gets its own slant, rotation, proportions, wobble and pen width,
is rasterised like the canvas (round caps and joins, 168 px) and normalised by the Draw tab's pipeline.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from mnist_gui.ml.preprocess import normalize_digit

RENDER = 168

# Each digit: strokes as polylines in a unit box (x right, y down).
STYLE: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5, 0.1), (0.25, 0.22), (0.2, 0.5), (0.25, 0.78), (0.5, 0.9), (0.75, 0.78), (0.8, 0.5), (0.75, 0.22), (0.5, 0.1)],
        [(0.2, 0.9), (0.8, 0.1)]],
    1: [[(0.3, 0.3), (0.55, 0.1), (0.55, 0.9)], [(0.3, 0.9), (0.8, 0.9)]],
    2: [[(0.2, 0.25), (0.4, 0.1), (0.7, 0.1), (0.8, 0.3), (0.2, 0.9), (0.85, 0.9)]],
    3: [[(0.2, 0.1), (0.8, 0.1), (0.45, 0.45), (0.72, 0.55), (0.8, 0.75), (0.62, 0.9), (0.2, 0.85)]],
    4: [[(0.25, 0.1), (0.2, 0.6), (0.85, 0.6)], [(0.65, 0.1), (0.65, 0.95)]],
    5: [[(0.8, 0.1), (0.25, 0.1), (0.2, 0.45), (0.7, 0.45), (0.8, 0.65), (0.7, 0.88), (0.2, 0.9)]],
    6: [[(0.75, 0.1), (0.25, 0.1), (0.25, 0.9), (0.75, 0.9), (0.75, 0.5), (0.25, 0.5)]],
    7: [[(0.2, 0.1), (0.8, 0.1), (0.4, 0.9)], [(0.35, 0.5), (0.75, 0.5)]],
    8: [[(0.25, 0.1), (0.75, 0.1), (0.75, 0.9), (0.25, 0.9), (0.25, 0.1)], [(0.25, 0.5), (0.75, 0.5)]],
    9: [[(0.75, 0.5), (0.25, 0.5), (0.25, 0.1), (0.75, 0.1), (0.75, 0.9), (0.25, 0.9)]],
}


def _render(strokes: list[np.ndarray], width: float) -> np.ndarray:
    img = Image.new("L", (RENDER, RENDER), 0)
    draw = ImageDraw.Draw(img)
    w = max(1, int(round(width * RENDER)))
    for s in strokes:
        pts = [tuple(p) for p in (s * RENDER).tolist()]
        draw.line(pts, fill=255, width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps, as the canvas pen has
            draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=255)
    return np.asarray(img, np.float32) / 255.0


def draw_digit(digit: int, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], float]:
    """One drawing: (normalised 28×28 float image, strokes in canvas coordinates, pen width)."""
    theta = np.deg2rad(rng.uniform(-7, 7))
    shear = rng.uniform(-0.2, 0.15)  # mostly a forward slant
    sx, sy = rng.uniform(0.7, 1.05), rng.uniform(0.85, 1.05)
    size = rng.uniform(0.45, 0.8)
    c, s = np.cos(theta), np.sin(theta)
    m = size * np.array([[c, -s], [s, c]]) @ np.array([[1, shear], [0, 1]]) @ np.diag([sx, sy])
    centre = 0.5 + rng.uniform(-0.08, 0.08, size=2)
    strokes = []
    for poly in STYLE[digit]:
        p = np.asarray(poly, np.float64) - 0.5
        p = p + rng.normal(0, 0.025, size=p.shape)  # wobble of a hand, not a ruler
        strokes.append(np.clip(p @ m.T + centre, 0.02, 0.98))
    width = rng.uniform(0.045, 0.09)
    return normalize_digit(_render(strokes, width)), strokes, width


def style_set(per_digit: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``per_digit`` drawings of each digit: uint8 (N, 28, 28) images and their labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(per_digit):
        for d in range(10):
            xs.append(np.clip(np.rint(draw_digit(d, rng)[0] * 255), 0, 255).astype(np.uint8))
            ys.append(d)
    return np.stack(xs), np.array(ys, np.uint8)
