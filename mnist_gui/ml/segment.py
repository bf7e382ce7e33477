"""Splitting a drawing or an image into digits, in reading order (left to right): numbers, not just digits.

A digit is a band of columns. Ink that overlaps or nearly overlaps horizontally (gap < ``GAP_TOL`` pen
widths) is one digit — a 4, 5, 7 or 1 drawn in two or three strokes, a 5 with a lifted top bar, a 7 with a
crossbar — and digits are separated by horizontal gaps. A group less than ``PART`` as tall as the tallest
and under ``PART_PEN`` pen widths high (a 5's top bar drawn clear of its body) joins its nearest neighbour;
taller pieces stay digits, since a small digit must not vanish into its neighbour. One line of digits is
assumed: ink stacked vertically is one group.

* :func:`segment_strokes` takes the canvas's strokes in any W×H frame. Ink strokes are merged by their
  x-extents (a sorted interval merge, O(n log n)). A cluster is rendered (coarsely, pen ≈ 6 px) and checked
  only when that can change the answer: an eraser touches it (erasing can cut a digit in two or remove a
  stroke), it holds a dot-sized stroke (a stray click), or it is wider than a digit (touching digits).
* :func:`segment_ink` takes rendered ink or an opened image: 8-connected ink regions (run-length labelling
  in numpy; scipy is not a dependency), specks removed, regions merged by horizontal overlap.

Both share the rules: a dot or speck (≤ ``DOT`` pen widths across) joins a digit it touches — within the
merge gap of the digit's box — and is dropped otherwise, so a lone click or a photo's noise is no digit;
a group wider than ``WIDE`` × its height is cut only at a clear valley of the column ink profile (a short
link of one thin stroke between two digit-high parts) and the parts flagged ``split``; one that no valley
splits is flagged ``looks_like_two``. :func:`digits_from_ink` / :func:`digits_from_strokes` then normalise
each group with :func:`~mnist_gui.ml.preprocess.normalize_digit`, exactly as a single digit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mnist_gui.ml.preprocess import INK_THRESHOLD, normalize_digit

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
MAX_SAMPLES = 4  # a segment is sampled at most this many times the raster's perimeter (absurd coordinates)
LABEL_THRESHOLD = 0.25  # share of the peak that is ink for regions (most of a halo excluded; a lighter digit kept)
CHECK_PEN_PX = 6.0  # pen width in pixels of the check raster
CHECK_MAX_PX = 1024  # longest side of a check raster (very thin pens)
RENDER_PX = 168  # canvas height in pixels of render_strokes (as the canvas renders a digit today)

Box = tuple[float, float, float, float]  # (left, top, right, bottom)


class StrokeLike(Protocol):
    """PenStroke, the canvas's Stroke, …: points (K, 2) x,y (or QPointF-likes) and width in canvas units."""

    points: Any
    width: float
    eraser: bool


@dataclass(frozen=True)
class DigitGroup:
    """One digit of a drawing."""

    strokes: tuple[int, ...]  # indices into the strokes given: its ink strokes and the erasers touching them
    box: Box  # its ink's extent in canvas units
    split: bool = False  # cut from touching digits at an ink valley
    looks_like_two: bool = False  # wider than a digit, but no clear valley to cut at


@dataclass(frozen=True)
class InkDigit:
    """One digit of an ink image."""

    box: tuple[int, int, int, int]  # (left, top, right, bottom) in pixels, exclusive ends
    crop: np.ndarray  # float32: the image around it, other regions' ink (specks, neighbours) zeroed
    split: bool = False
    looks_like_two: bool = False


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
        todo, cuts = [(0, gr - gl, False)], []
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


# --- ink images --------------------------------------------------------------------------------------------
def segment_ink(ink: np.ndarray) -> list[InkDigit]:
    """Digits of a 2-D ink image (ink bright on dark in [0, 1], e.g. ``load_image`` or a rendered canvas),
    left to right; ``[]`` when blank or only specks."""
    img = np.clip(np.nan_to_num(np.asarray(ink, dtype=np.float32)), 0.0, 1.0)
    if img.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {img.shape}")
    peak = float(img.max()) if img.size else 0.0
    if peak <= INK_THRESHOLD:
        return []
    pieces, lab, pen = _segment_mask(img > LABEL_THRESHOLD * peak, None)
    m = max(2, math.ceil(pen / 2))  # a region's antialiased halo
    out = []
    for pc in pieces:
        # the window keeps faint ink (below the region threshold) up to a pen width around the digit
        left, top, right, bottom = pc.box
        c0, c1 = max(pc.lo, left - 2 * m), min(pc.hi, right + 2 * m)
        r0, r1 = max(0, top - 2 * m), min(img.shape[0], bottom + 2 * m)
        crop, near = img[r0:r1, c0:c1], lab[r0:r1, c0:c1]
        other = (near > 0) & ~np.isin(near, pc.comps + 1)
        if other.any():  # a speck or a neighbour's edge in the window: zero it with its halo
            crop = crop * ~(_dilate(other, m) & ~_dilate(~other & (near > 0), 1))
        out.append(InkDigit(pc.box, crop, pc.split, pc.two))
    return out


def digits_from_ink(ink: np.ndarray) -> list[np.ndarray]:
    """One ``(28, 28)`` float32 model input per digit of an ink image, left to right."""
    return [normalize_digit(d.crop) for d in segment_ink(ink)]


# --- strokes -----------------------------------------------------------------------------------------------
def _points(p: Any) -> np.ndarray:
    try:
        return np.asarray(p, dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):  # a list of QPointF-like objects
        return np.array([(q.x(), q.y()) for q in p], dtype=np.float64).reshape(-1, 2)


def _render(pts: list[np.ndarray], widths: np.ndarray, eraser: np.ndarray, order: Sequence[int],
            origin: tuple[float, float], scale: float, shape: tuple[int, int]) -> np.ndarray:
    """Binary raster of strokes ``order`` (in drawing order, so erasing happens when it did): round pen
    disks stamped every pixel along each polyline, all strokes of a run of ink (or eraser) strokes with the
    same width at once, so thousands of strokes cost a few numpy calls."""
    h, w = shape
    flat = np.zeros(h * w, bool)
    order = np.array([i for i in order if len(pts[i]) and widths[i] > 0], dtype=np.int64)
    for run in np.split(order, np.flatnonzero(eraser[order][1:] != eraser[order][:-1]) + 1) if order.size else []:
        radius = np.round(widths[run] * scale) / 2  # half-pixel steps: few distinct disks
        for r in np.unique(radius):
            sel = run[radius == r]
            p = (np.concatenate([pts[i] for i in sel]) - origin) * scale
            same = np.repeat(sel, [len(pts[i]) for i in sel])
            seg = np.diff(p, axis=0)
            k = np.where(same[1:] == same[:-1], np.ceil(np.hypot(seg[:, 0], seg[:, 1])), 0)
            k = np.minimum(k, MAX_SAMPLES * (h + w)).astype(np.int64)
            t = (np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)) / np.repeat(k, k)
            c = np.floor(np.vstack([np.repeat(p[:-1], k, axis=0) + np.repeat(seg, k, axis=0) * t[:, None], p])).astype(np.int64)
            c = c[np.r_[True, (np.diff(c, axis=0) != 0).any(axis=1)]]
            dy, dx = np.mgrid[-int(r) : int(r) + 1, -int(r) : int(r) + 1]
            disk = dx * dx + dy * dy <= r * r
            xs, ys = c[:, :1] + dx[disk], c[:, 1:] + dy[disk]
            ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
            flat[(ys * w + xs)[ok]] = not eraser[run[0]]
    return flat.reshape(h, w)


def _arrays(strokes: Sequence[StrokeLike], size: tuple[float, float]) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Points, widths, eraser flags and ink boxes (clipped to the canvas; NaN when empty) of the strokes."""
    pts = [_points(s.points) for s in strokes]
    if pts and not np.isfinite(np.concatenate(pts)).all():  # damaged points are skipped
        pts = [p[np.isfinite(p).all(axis=1)] for p in pts]
    widths = np.array([max(float(s.width), 0.0) for s in strokes], dtype=np.float64)
    eraser = np.array([bool(s.eraser) for s in strokes], dtype=bool)
    box = np.full((len(strokes), 4), np.nan)
    lens = np.array([len(p) for p in pts], dtype=np.int64)
    has = (lens > 0) & (widths > 0)
    if has.any():
        allp = np.concatenate([pts[i] for i in np.flatnonzero(has)])
        starts = np.cumsum(lens[has]) - lens[has]
        r = widths[has, None] / 2
        box[has] = np.hstack([np.minimum.reduceat(allp, starts) - r, np.maximum.reduceat(allp, starts) + r])
    box = np.clip(box, 0.0, [size[0], size[1], size[0], size[1]])
    box[~((box[:, 2] > box[:, 0]) & (box[:, 3] > box[:, 1]))] = np.nan  # outside the canvas
    return pts, widths, eraser, box


def _has_dot(b: np.ndarray, gap: float, dot: float) -> bool:
    """Whether strokes with boxes ``b`` (one cluster) hold a dot: strokes no larger than ``dot`` together,
    farther than ``gap`` from all others — a stray click, which the rendered check drops."""
    if len(b) > 800:  # let the (linear) rendered check decide rather than compare all pairs
        return True
    near = ((b[:, None, 0] < b[None, :, 2] + gap) & (b[None, :, 0] < b[:, None, 2] + gap)
            & (b[:, None, 1] < b[None, :, 3] + gap) & (b[None, :, 1] < b[:, None, 3] + gap))
    comp = _components(len(b), *np.nonzero(np.triu(near, 1)))
    lo, hi = np.full((comp.max() + 1, 2), np.inf), np.full((comp.max() + 1, 2), -np.inf)
    np.minimum.at(lo, comp, b[:, :2])
    np.maximum.at(hi, comp, b[:, 2:])
    return bool(((hi - lo).max(axis=1) <= dot).any())


def segment_strokes(strokes: Sequence[StrokeLike], size: tuple[float, float] = (1.0, 1.0)) -> list[DigitGroup]:
    """The digits of a drawing, left to right; ``[]`` when blank (or only dots).

    Points and widths are in the units of ``size`` = (W, H), the canvas's extent: (1, 1) for today's square
    canvas and PenStroke; a canvas whose points are relative to its shorter side passes (w/side, h/side).
    """
    if not strokes:
        return []
    pts, widths, eraser, box = _arrays(strokes, size)
    valid = ~np.isnan(box[:, 0])
    ink, erasers = np.flatnonzero(valid & ~eraser), np.flatnonzero(valid & eraser)
    if ink.size == 0:
        return []
    pen = float(np.median(widths[ink]))
    order = ink[np.argsort(box[ink, 0], kind="stable")]
    reach = np.maximum.accumulate(box[order, 2])
    clusters = np.split(order, np.flatnonzero(box[order[1:], 0] >= reach[:-1] + GAP_TOL * pen) + 1)
    cbox = np.array([(*box[m, :2].min(axis=0), *box[m, 2:].max(axis=0)) for m in clusters])
    big = np.flatnonzero(np.maximum(cbox[:, 2] - cbox[:, 0], cbox[:, 3] - cbox[:, 1]) > DOT * pen)
    ref = float((cbox[big, 3] - cbox[big, 1]).max()) if big.size else None
    dot = max(DOT * pen, DOT_REL * (ref or 0.0))
    small = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) <= dot
    found: list[tuple[np.ndarray, tuple[float, ...], bool, bool]] = []  # strokes, box, split, looks like two
    for members in clusters:
        cb = (*box[members, :2].min(axis=0), *box[members, 2:].max(axis=0))
        eb = box[erasers]
        touching = erasers[(erasers > members.min()) & (eb[:, 0] < cb[2]) & (eb[:, 2] > cb[0]) & (eb[:, 1] < cb[3]) & (eb[:, 3] > cb[1])]
        if (touching.size == 0 and cb[2] - cb[0] < WIDE * (cb[3] - cb[1])
                and not (small[members].any() and _has_dot(box[members], GAP_TOL * pen, dot))):
            found.append((members, cb, False, False))
            continue
        # Check on the rendered ink: erasing, stray dots, touching digits.
        scale = min(CHECK_PEN_PX / pen, CHECK_MAX_PX / max(cb[2] - cb[0], cb[3] - cb[1]))
        ox, oy = cb[0] - 1 / scale, cb[1] - 1 / scale
        shape = (math.ceil((cb[3] - cb[1]) * scale) + 2, math.ceil((cb[2] - cb[0]) * scale) + 2)
        drawn = np.sort(np.concatenate([members, touching]))
        mask = _render(pts, widths, eraser, drawn.tolist(), (ox, oy), scale, shape)
        pieces, _, _ = _segment_mask(mask, pen * scale, ref * scale if ref else None)
        for pc in pieces:
            # a pixel of slack (the raster is coarse) except at a cut, within the cluster's exact extent
            sl, sr = int(pc.box[0] > pc.lo), int(pc.box[2] < pc.hi)
            left, top, right, bottom = (v / scale for v in (pc.box[0] - sl, pc.box[1] - 1, pc.box[2] + sr, pc.box[3] + 1))
            ub = (max(ox + left, cb[0]), max(oy + top, cb[1]), min(ox + right, cb[2]), min(oy + bottom, cb[3]))
            db = box[drawn]
            sel = drawn[(db[:, 0] < ub[2]) & (db[:, 2] > ub[0]) & (db[:, 1] < ub[3]) & (db[:, 3] > ub[1])]
            own = box[sel[~eraser[sel]]]  # and within its own strokes' exact extent (not a dropped dot's)
            if own.size:
                ub = (max(ub[0], own[:, 0].min()), max(ub[1], own[:, 1].min()), min(ub[2], own[:, 2].max()), min(ub[3], own[:, 3].max()))
            found.append((sel, ub, pc.split, pc.two))
    if len(found) > 1:  # a detached bar joins its neighbour (after the check, which drops dots)
        fb = np.array([f[1] for f in found])
        found = [(np.concatenate([found[j][0] for j in js]), (*fb[js, :2].min(axis=0), *fb[js, 2:].max(axis=0)),
                  any(found[j][2] for j in js), any(found[j][3] for j in js)) for js in _join_parts(fb, float((fb[:, 3] - fb[:, 1]).max()), pen)]
    return [DigitGroup(tuple(np.unique(m).tolist()), tuple(float(v) for v in b), sp, two) for m, b, sp, two in found]


def render_strokes(strokes: Sequence[StrokeLike], size: tuple[float, float] = (1.0, 1.0), height_px: int = RENDER_PX) -> np.ndarray:
    """The drawing rasterised without Qt (binary ink, float32 (height_px, ≈height_px·W/H)): for tests and
    for stored strokes; the canvas renders with Qt and passes its own raster to :func:`crop_groups`."""
    scale = height_px / size[1]
    pts, widths, eraser, _ = _arrays(strokes, size)
    shape = (height_px, max(1, round(size[0] * scale)))
    return _render(pts, widths, eraser, range(len(strokes)), (0.0, 0.0), scale, shape).astype(np.float32)


def crop_groups(ink: np.ndarray, groups: Sequence[DigitGroup], size: tuple[float, float] = (1.0, 1.0)) -> list[np.ndarray]:
    """Each group's part of the rendered drawing ``ink`` (a raster of the whole W×H canvas, any
    resolution): its box plus a pixel for antialiasing, never past half-way to its neighbours."""
    hp, wp = ink.shape
    sx, sy = wp / size[0], hp / size[1]
    out = []
    for i, g in enumerate(groups):
        left, right = g.box[0] * sx - 1, g.box[2] * sx + 1
        if i > 0:
            left = max(left, (groups[i - 1].box[2] + g.box[0]) / 2 * sx)
        if i < len(groups) - 1:
            right = min(right, (g.box[2] + groups[i + 1].box[0]) / 2 * sx)
        c0, c1 = max(0, math.floor(left)), min(wp, math.ceil(right))
        r0, r1 = max(0, math.floor(g.box[1] * sy - 1)), min(hp, math.ceil(g.box[3] * sy + 1))
        out.append(ink[r0:r1, c0:c1])
    return out


def digits_from_strokes(strokes: Sequence[StrokeLike], size: tuple[float, float] = (1.0, 1.0),
                        ink: np.ndarray | None = None) -> list[np.ndarray]:
    """One ``(28, 28)`` float32 model input per digit of a drawing, left to right. ``ink`` is the canvas's
    own raster of the whole drawing (rendered here without Qt when None)."""
    groups = segment_strokes(strokes, size)
    if not groups:
        return []
    raster = render_strokes(strokes, size) if ink is None else np.asarray(ink, dtype=np.float32)
    return [normalize_digit(c) for c in crop_groups(raster, groups, size)]
