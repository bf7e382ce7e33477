"""Pen paths from MNIST digits for the drawn-digit benchmark.

Each test digit is upsampled 3× (bilinear), thresholded and thinned (Zhang-Suen) to a centre line, and
the centre line is chained into polylines: the paths a pen would follow. The benchmark then draws them
on the real canvas with mouse events at random sizes, places and brush widths.
"""

from __future__ import annotations

import numpy as np

UPSAMPLE = 3
THRESHOLD = 0.45


def _neighbours(b: np.ndarray) -> list[np.ndarray]:
    p = np.pad(b, 1)
    h, w = b.shape
    offs = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]  # P2..P9 clockwise
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
            c = ((p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)) if step == 0 else ((p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0))
            kill = (b == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & c
            if kill.any():
                b[kill] = 0
                changed = True
    return b


def _upsample(img: np.ndarray, k: int) -> np.ndarray:
    n = img.shape[0]
    xs = (np.arange(n * k) + 0.5) / k - 0.5
    x0 = np.clip(np.floor(xs).astype(int), 0, n - 1)
    x1 = np.clip(x0 + 1, 0, n - 1)
    f = np.clip(xs - x0, 0, 1)
    a = img[x0] * (1 - f)[:, None] + img[x1] * f[:, None]
    return a[:, x0] * (1 - f)[None, :] + a[:, x1] * f[None, :]


def pen_paths(img: np.ndarray) -> list[list[tuple[float, float]]]:
    """Polylines (x, y) in 28×28 pixel units along the digit's centre line."""
    sk = thin(_upsample(img.astype(np.float32) / 255.0, UPSAMPLE) > THRESHOLD)
    on = set(zip(*[a.tolist() for a in np.nonzero(sk)]))
    steps = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]

    def nbrs(p: tuple[int, int]) -> list[tuple[int, int]]:
        return [(p[0] + dy, p[1] + dx) for dy, dx in steps if (p[0] + dy, p[1] + dx) in on]

    used: set[frozenset] = set()
    paths = []
    # start at end points first, then whatever is left (loops)
    starts = sorted(on, key=lambda p: len(nbrs(p)) != 1)
    for s in starts:
        while True:
            path, cur = [s], s
            while True:
                nxt = [q for q in nbrs(cur) if frozenset((cur, q)) not in used]
                if not nxt:
                    break
                # prefer 4-neighbours: a diagonal beside them is the same line
                nxt.sort(key=lambda q: abs(q[0] - cur[0]) + abs(q[1] - cur[1]))
                used.add(frozenset((cur, nxt[0])))
                cur = nxt[0]
                path.append(cur)
            if len(path) == 1:
                break
            paths.append(path)
    if not paths and on:
        paths = [[next(iter(on))]]
    return [[((x + 0.5) / UPSAMPLE, (y + 0.5) / UPSAMPLE) for y, x in p] for p in paths]
