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
  in numpy; scipy is not a dependency; see :mod:`mnist_gui.ml.ink_regions`), specks removed, regions merged
  by horizontal overlap.

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

from mnist_gui.ml.ink_regions import DOT, DOT_REL, GAP_TOL, WIDE, _components, _dilate, _join_parts, _segment_mask
from mnist_gui.ml.ink_regions import JOIN, PART, PART_PEN, VALLEY_INK, VALLEY_LEN, VALLEY_SIDE  # noqa: F401 (re-exported: the rules are documented here)
from mnist_gui.ml.preprocess import INK_THRESHOLD, normalize_digit

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
    origin: tuple[int, int] = (0, 0)  # (row, column) of the crop's top-left pixel in the image


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
        out.append(InkDigit(pc.box, crop, pc.split, pc.two, (r0, c0)))
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
    drawn = np.array([i for i in order if len(pts[i]) and widths[i] > 0], dtype=np.int64)
    for run in np.split(drawn, np.flatnonzero(eraser[drawn][1:] != eraser[drawn][:-1]) + 1) if drawn.size else []:
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
    return [DigitGroup(tuple(np.unique(m).tolist()), (float(b[0]), float(b[1]), float(b[2]), float(b[3])), sp, two)
            for m, b, sp, two in found]


def render_strokes(strokes: Sequence[StrokeLike], size: tuple[float, float] = (1.0, 1.0), height_px: int = RENDER_PX) -> np.ndarray:
    """The drawing rasterised without Qt (binary ink, float32 (height_px, ≈height_px·W/H)): for tests and
    for stored strokes; the canvas renders with Qt and passes its own raster to :func:`crop_groups`."""
    scale = height_px / size[1]
    pts, widths, eraser, _ = _arrays(strokes, size)
    shape = (height_px, max(1, round(size[0] * scale)))
    return _render(pts, widths, eraser, range(len(strokes)), (0.0, 0.0), scale, shape).astype(np.float32)


def group_windows(shape: tuple[int, int], groups: Sequence[DigitGroup],
                  size: tuple[float, float] = (1.0, 1.0)) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) pixels of each group's part of a raster of ``shape`` covering the W×H
    canvas: its box plus a pixel for antialiasing, never past half-way to its neighbours."""
    hp, wp = shape
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
        out.append((r0, r1, c0, c1))
    return out


def crop_groups(ink: np.ndarray, groups: Sequence[DigitGroup], size: tuple[float, float] = (1.0, 1.0)) -> list[np.ndarray]:
    """Each group's part of the rendered drawing ``ink`` (a raster of the whole W×H canvas, any
    resolution), as :func:`group_windows` cuts it."""
    return [ink[r0:r1, c0:c1] for r0, r1, c0, c1 in group_windows(ink.shape, groups, size)]


def digits_from_strokes(strokes: Sequence[StrokeLike], size: tuple[float, float] = (1.0, 1.0),
                        ink: np.ndarray | None = None) -> list[np.ndarray]:
    """One ``(28, 28)`` float32 model input per digit of a drawing, left to right. ``ink`` is the canvas's
    own raster of the whole drawing (rendered here without Qt when None)."""
    groups = segment_strokes(strokes, size)
    if not groups:
        return []
    raster = render_strokes(strokes, size) if ink is None else np.asarray(ink, dtype=np.float32)
    return [normalize_digit(c) for c in crop_groups(raster, groups, size)]
