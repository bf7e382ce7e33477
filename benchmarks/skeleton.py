"""Stroke paths from MNIST digits for the drawn-digit benchmark: Zhang-Suen thinning, then the skeleton's
pixel-to-pixel edges become short strokes drawn on the real canvas with mouse events."""

from __future__ import annotations

import numpy as np


def _neighbours(b: np.ndarray) -> list[np.ndarray]:
    p = np.pad(b, 1)
    h, w = b.shape
    # P2..P9 clockwise from north
    offs = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    return [p[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy, dx in offs]


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen skeleton of a binary image."""
    b = mask.astype(np.uint8).copy()
    changed = True
    while changed:
        changed = False
        for step in (0, 1):
            n = _neighbours(b)
            count = sum(n)
            seq = n + [n[0]]
            transitions = sum(((seq[i] == 0) & (seq[i + 1] == 1)).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                c = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                c = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            kill = (b == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & c
            if kill.any():
                b[kill] = 0
                changed = True
    return b


def skeleton_segments(img: np.ndarray) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Edges between 8-connected skeleton pixels, as ((x0, y0), (x1, y1)) in 28x28 pixel units."""
    sk = thin(img > 100)
    ys, xs = np.nonzero(sk)
    on = set(zip(ys.tolist(), xs.tolist()))
    segs = []
    for y, x in on:
        for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
            if (y + dy, x + dx) in on:
                # skip a diagonal when a 4-connected path already joins the two pixels
                if dy and dx and ((y + dy, x) in on or (y, x + dx) in on):
                    continue
                segs.append(((x + 0.5, y + 0.5), (x + dx + 0.5, y + dy + 0.5)))
    if not segs and on:
        y, x = next(iter(on))
        segs.append(((x + 0.5, y + 0.5), (x + 0.5, y + 0.5)))
    return segs
