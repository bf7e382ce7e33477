"""Digits in a boolean ink image: the numpy region labelling and grouping behind :mod:`mnist_gui.ml.segment`.

8-connected ink regions by run-length labelling (connected components by pointer jumping, in numpy; scipy
is not a dependency), merged into digits by horizontal overlap, with the shared rules for dots and specks,
detached bars (:func:`_join_parts`) and touching digits cut at an ink valley (:func:`_valley`). The rule
constants are documented in :mod:`mnist_gui.ml.segment`, which re-exports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GAP_TOL = 0.4  # horizontal gap (pen widths) below which ink is one digit; digits sit >= ~1 pen apart
DOT = 2.0  # ink no larger than this many pen widths across is a dot or speck ...
DOT_REL = 0.2  # ... or smaller than this share of the tallest region (noise in photos)
PART = 0.5  # a group under this share of the tallest's height ...
PART_PEN = 3.0  # ... and this many pen widths high is a detached bar, not a digit, ...
JOIN = 0.5  # ... and joins its nearest neighbour within this share of the tallest's height
WIDE = 1.5  # width / height above which a group may be two touching digits (0.6% of MNIST digits are)
VALLEY_INK = 1.5  # a valley column holds at most this many pen widths of ink ...
VALLEY_LEN = 2.0  # ... over at most this many pen widths of columns (a 4's long crossbar is no valley)
VALLEY_SIDE = 0.5  # ... between two parts each at least this share of the group's height (half as wide)


@dataclass
class _Piece:
    comps: np.ndarray  # region ids
    lo: int  # columns [lo, hi) are its own (cuts at gaps and valleys)
    hi: int
    box: tuple[int, int, int, int]
    split: bool = False
    two: bool = False


# --- regions of a boolean image ---------------------------------------------------------------------------
def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components (0..k-1) of n nodes joined by edges a[i]-b[i]: hook each root onto the smaller
    root, then pointer-jump, so a few numpy rounds (O(log n)) instead of a Python union-find."""
    parent = np.arange(n)
    while True:
        ra, rb = parent[a], parent[b]
        diff = ra != rb
        if not diff.any():
            break
        np.minimum.at(parent, np.maximum(ra, rb)[diff], np.minimum(ra, rb)[diff])
        while not np.array_equal(nxt := parent[parent], parent):
            parent = nxt
    return np.unique(parent, return_inverse=True)[1].reshape(-1)


def _label(mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """8-connected regions by run-length labelling: per run (row, start, end, region) and per region
    (left, top, right, bottom, area, perimeter)."""
    h, w = mask.shape
    d = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(d == 1)
    ends = np.nonzero(d == -1)[1]
    n = len(rows)
    # Runs are in row-major order, so the runs of row r+1 touching a run are one contiguous slice.
    stride = w + 2
    lo = np.searchsorted(rows * stride + ends, (rows + 1) * stride + starts)
    hi = np.searchsorted(rows * stride + starts, (rows + 1) * stride + ends, side="right")
    cnt = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(n), cnt)
    b = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(int(cnt.sum()))
    comp = _components(n, a, b)
    k = int(comp.max()) + 1 if n else 0
    x0, y0 = np.full(k, w), np.full(k, h)
    x1, y1 = np.zeros(k, int), np.zeros(k, int)
    np.minimum.at(x0, comp, starts)
    np.maximum.at(x1, comp, ends)
    np.minimum.at(y0, comp, rows)
    np.maximum.at(y1, comp, rows + 1)
    area = np.bincount(comp, ends - starts, k)
    # perimeter: 2 per run horizontally, and the run lengths not shared with the row above/below
    shared = np.clip(np.minimum(ends[a], ends[b]) - np.maximum(starts[a], starts[b]), 0, None)
    perim = 2 * np.bincount(comp, minlength=k) + 2 * area - 2 * np.bincount(comp[a], shared, k)
    return rows, starts, ends, comp, x0, y0, x1, y1, area, perim


def _dilate(b: np.ndarray, m: int) -> np.ndarray:
    """Binary dilation by a (2m+1)² square, as two running sums."""
    for _ in range(2):
        n = b.shape[1]
        c = np.cumsum(np.pad(b, ((0, 0), (m + 1, m))), axis=1, dtype=np.int32)
        b = ((c[:, 2 * m + 1 : 2 * m + 1 + n] - c[:, :n]) > 0).T
    return b


def _valley(sub: np.ndarray, pen: float) -> int | None:
    """Column where a wide group's mask has a clear valley — a short link of one thin stroke between two
    digit-sized parts, reaching one of them between its top and bottom — else None. Strict on purpose:
    splitting one digit in two is the worst error, and a 4's crossbar, a 6's or an open 0's bottom look
    like such a link."""
    p = sub.sum(0)
    strokes = sub[0].astype(np.int32) + (sub[1:] & ~sub[:-1]).sum(0)  # ink runs down each column
    w = len(p)
    thin = (p <= VALLEY_INK * pen) & (strokes <= 1)
    cand = np.flatnonzero(thin[int(0.2 * w) : math.ceil(0.8 * w)]) + int(0.2 * w)
    if cand.size == 0:
        return None
    c = int(cand[np.argmin(p[cand])])
    thick = np.flatnonzero(~thin)
    a = int(thick[thick < c].max()) + 1 if (thick < c).any() else 0
    b = int(thick[thick > c].min()) if (thick > c).any() else w
    if a == 0 or b == w or b - a > VALLEY_LEN * pen:
        return None
    cut = (a + b) // 2
    link = np.flatnonzero(sub[:, cut])
    rows = np.flatnonzero(sub.any(1))
    h = rows[-1] - rows[0] + 1
    inside = False  # a link at the very bottom (or top) of both parts is a U: a 0 open at the top, a 4
    for side in (sub[:, :cut], sub[:, cut:]):
        r, cols = np.flatnonzero(side.any(1)), np.flatnonzero(side.any(0))
        if link.size == 0 or r.size == 0 or r[-1] - r[0] + 1 < VALLEY_SIDE * h or cols[-1] - cols[0] + 1 < VALLEY_SIDE * h / 2 or 2 * p[c] > side.sum(0).max():
            return None
        inside |= bool(r[0] <= link[0] - pen and r[-1] >= link[-1] + pen)
    return cut if inside else None


def _join_parts(boxes: np.ndarray, ref: float, pen: float) -> list[list[int]]:
    """Groups (boxes sorted by left edge) merged where one is too short to be a digit beside the tallest
    (``ref`` high) — a detached bar or piece — into its horizontally nearest neighbour within JOIN × ref."""
    sets, bx = [[i] for i in range(len(boxes))], [[float(v) for v in b] for b in boxes]
    i = 0
    while i < len(sets):
        gaps = (bx[i][0] - bx[i - 1][2] if i > 0 else math.inf, bx[i + 1][0] - bx[i][2] if i + 1 < len(sets) else math.inf)
        if bx[i][3] - bx[i][1] < min(PART * ref, PART_PEN * pen) and min(gaps) < JOIN * ref:
            a = i - 1 if gaps[0] <= gaps[1] else i  # merge a and a + 1, then look at the result again
            sets[a] += sets.pop(a + 1)
            b = bx.pop(a + 1)
            bx[a] = [min(bx[a][0], b[0]), min(bx[a][1], b[1]), max(bx[a][2], b[2]), max(bx[a][3], b[3])]
            i = a
        else:
            i += 1
    return sets


def _segment_mask(mask: np.ndarray, pen: float | None, ref: float | None = None) -> tuple[list[_Piece], np.ndarray, float]:
    """Digits in a boolean ink image, left to right; the region label image (0 = none, id + 1) and the
    pen width in pixels (estimated from the regions when None). ``ref``: the height of a whole digit in
    pixels (the tallest group when None)."""
    h, w = mask.shape
    rows, starts, ends, comp, x0, y0, x1, y1, area, perim = _label(mask)
    lab = np.zeros(h * w, np.int32)
    if area.size == 0:
        return [], lab.reshape(h, w), pen or 1.0
    lens = ends - starts
    lab[np.repeat(rows * w + starts - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))] = np.repeat(comp + 1, lens)
    lab = lab.reshape(h, w)
    if pen is None:  # 2·area/perimeter of the larger regions: the stroke width
        big = area >= max(4.0, 0.05 * area.max())
        pen = max(1.0, 2.0 * area[big].sum() / perim[big].sum())
    gap = GAP_TOL * pen
    tiny = np.maximum(x1 - x0, y1 - y0) <= max(DOT * pen, DOT_REL * (ref or (y1 - y0).max()))
    order = np.flatnonzero(~tiny)
    if order.size == 0:
        return [], lab, pen
    order = order[np.argsort(x0[order], kind="stable")]
    reach = np.maximum.accumulate(x1[order])
    groups = np.split(order, np.flatnonzero(x0[order][1:] >= reach[:-1] + gap) + 1)
    gbox = np.array([(x0[g].min(), y0[g].min(), x1[g].max(), y1[g].max()) for g in groups])
    sets = _join_parts(gbox, ref or float((gbox[:, 3] - gbox[:, 1]).max()), pen)
    if len(sets) < len(groups):
        groups = [np.concatenate([groups[j] for j in js]) for js in sets]
        gbox = np.array([(x0[g].min(), y0[g].min(), x1[g].max(), y1[g].max()) for g in groups])
    t = np.flatnonzero(tiny)
    if t.size:  # a dot joins the nearest digit it touches, else it is dropped
        hg = np.maximum(gbox[None, :, 0] - x1[t, None], x0[t, None] - gbox[None, :, 2])
        vg = np.maximum(gbox[None, :, 1] - y1[t, None], y0[t, None] - gbox[None, :, 3])
        score = np.where((hg < gap) & (vg < gap), np.maximum(hg, 0) + np.maximum(vg, 0), np.inf)
        best, ok = score.argmin(1), np.isfinite(score.min(1))
        for i in np.unique(best[ok]):
            g = np.concatenate([groups[i], t[ok & (best == i)]])
            groups[i] = g
            gbox[i] = (x0[g].min(), y0[g].min(), x1[g].max(), y1[g].max())
    pieces = []
    for i, g in enumerate(groups):
        gl, gt, gr, gb = (int(v) for v in gbox[i])
        lo = 0 if i == 0 else (int(gbox[i - 1][2]) + gl) // 2  # own columns: half-way to the neighbours
        hi = w if i == len(groups) - 1 else (gr + int(gbox[i + 1][0]) + 1) // 2
        if gr - gl < WIDE * (gb - gt):
            pieces.append(_Piece(g, lo, hi, (gl, gt, gr, gb)))
            continue
        gm = np.isin(lab[gt:gb, gl:gr], g + 1)
        todo: list[tuple[int, int, bool]] = [(0, gr - gl, False)]
        cuts: list[tuple[int, int, bool, bool]] = []  # (from, to, split off, wide)
        while todo:  # cut at valleys, again in each part (three touching digits)
            c0, c1, was_split = todo.pop()
            sub = gm[:, c0:c1]
            r = np.flatnonzero(sub.any(1))
            height = r[-1] - r[0] + 1 if r.size else c1 - c0
            wide = bool(c1 - c0 >= WIDE * height)
            cut = _valley(sub, pen) if wide and len(cuts) + len(todo) < 8 else None
            if cut is None:
                cuts.append((c0, c1, was_split, wide))
            else:
                todo += [(c0, c0 + cut, True), (c0 + cut, c1, True)]
        for c0, c1, was_split, wide in sorted(cuts):
            sub = gm[:, c0:c1]
            r, c = np.flatnonzero(sub.any(1)), np.flatnonzero(sub.any(0))
            box = (gl + c0 + int(c[0]), gt + int(r[0]), gl + c0 + int(c[-1]) + 1, gt + int(r[-1]) + 1)
            pieces.append(_Piece(g, lo if c0 == 0 else gl + c0, hi if c1 == gr - gl else gl + c1, box, was_split, wide))
    return pieces, lab, pen
