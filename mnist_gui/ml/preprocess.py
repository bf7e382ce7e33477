"""MNIST-style normalisation of a drawing or photo of a digit (how MNIST itself was made).

Crop to the ink's bounding box, fit it into 20×20 keeping its aspect ratio with area-averaging
anti-aliasing, bring the stroke width to MNIST's typical width, and place it in 28×28 so its centre of
mass sits at the centre. A plain resize of a canvas reads ≈ 30% of drawings correctly; this reads them
as well as MNIST's own test images.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

BOX = 20  # MNIST digits fit a 20x20 box ...
SIZE = 28  # ... inside a 28x28 image
SUPER = 4  # intermediate resolution (x BOX) where stroke width is adjusted
TARGET_WIDTH = 2.0  # median stroke width of MNIST training digits, in 28x28 pixels (2*area/perimeter)
INK_THRESHOLD = 0.1
# Up to this many weights (n_in × n_out) one axis is resampled with a dense matrix, faster for the small
# arrays of every canvas update (168 → ≤ 80); beyond it the sparse form, whose size follows the input.
DENSE_LIMIT = 1 << 16


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix that resamples one axis by exact area overlap (box filter). Small axes only."""
    edges_out = np.linspace(0.0, n_in, n_out + 1)
    lo = np.maximum(edges_out[:-1, None], np.arange(n_in)[None, :])
    hi = np.minimum(edges_out[1:, None], np.arange(1, n_in + 1)[None, :])
    w = np.clip(hi - lo, 0.0, None)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def _along(v: np.ndarray, axis: int) -> np.ndarray:
    """A vector with one value per pixel of ``axis``, shaped to broadcast over a 2-D array."""
    return v[:, None] if axis == 0 else v[None, :]


def _block_sums(img: np.ndarray, first: np.ndarray, axis: int) -> np.ndarray:
    """Sums of ``img`` over [first[j], first[j+1]) along ``axis`` (the last block to the end).

    Vectorised along whichever is longer, the blocks or their count: ``np.add.reduceat`` alone pays a
    call per (block, row) and took 3 s to shrink 6000×6000 to 2048×2048.
    """
    n_in, n_out = img.shape[axis], first.size
    ends = np.append(first[1:], n_in)
    length = ends - first
    if int(length.max()) <= n_out:  # many short blocks: add the k-th pixel of every block at once
        sums = np.take(img, first, axis=axis)
        for k in range(1, int(length.max())):
            part = np.take(img, np.minimum(first + k, n_in - 1), axis=axis)
            sums += part if k < int(length.min()) else part * _along(k < length, axis)
        return sums
    if axis == 1:  # few long blocks along the rows' contiguous axis
        return np.add.reduceat(img, first, axis=1)
    return np.stack([img[a:b].sum(axis=0) for a, b in zip(first, ends)])


def _resample_sparse(img: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    """Resample one axis by exact area overlap (box filter), with no array that grows with n_in × n_out.

    Output pixel j covers input pixels [e_j, e_j+1) with e = linspace(0, n_in, n_out + 1): whole pixels
    plus parts of the two its edges fall in. Shrinking sums blocks of whole pixels and moves each edge
    pixel's part to its bin; enlarging (the input is the smaller side) differences the running sum. The
    dense (n_out, n_in) matrix took 3.2 GB for a 1×5,000,000 image.
    """
    n_in = img.shape[axis]
    edges = np.linspace(0.0, n_in, n_out + 1)  # output pixel edges, in input pixels
    lengths = _along(np.diff(edges).astype(np.float32), axis)
    if n_out < n_in:
        # Bins are longer than a pixel, so each left edge falls in a different pixel: strictly increasing.
        first = edges[:-1].astype(np.intp)
        frac = _along((edges[:-1] - first).astype(np.float32), axis)
        cut = frac * np.take(img, first, axis=axis)  # the part of pixel `first` left of the edge ...
        sums = _block_sums(img, first, axis)
        sums -= cut
        head, tail = [slice(None)] * 2, [slice(None)] * 2
        head[axis], tail[axis] = slice(None, -1), slice(1, None)
        sums[tuple(head)] += cut[tuple(tail)]  # ... belongs to the previous bin
        return sums / lengths
    # Integral F(x) = S[floor x] + frac(x) · f[floor x]; the last edge (x = n_in) is pixel n_in - 1 in full.
    running = np.cumsum(img, axis=axis, dtype=np.float64)
    running = np.concatenate([np.zeros_like(np.take(running, [0], axis=axis)), running], axis=axis)
    pixel = np.minimum(edges.astype(np.intp), n_in - 1)
    integral = np.take(running, pixel, axis=axis) + _along(edges - pixel, axis) * np.take(img, pixel, axis=axis)
    return (np.diff(integral, axis=axis) / lengths).astype(np.float32)


def _resample_axis(img: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    n_in = img.shape[axis]
    if n_in == n_out:
        return img
    if n_in * n_out <= DENSE_LIMIT:
        m = _area_matrix(n_in, n_out)
        return m @ img if axis == 0 else img @ m.T
    return _resample_sparse(img, n_out, axis)


def resample_area(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a 2-D array to ``shape`` (area averaging; separable).

    Memory and time grow with the input plus the output, whatever the aspect ratio.
    """
    out = np.asarray(img, dtype=np.float32)
    # Resample first along the axis that leaves the smaller intermediate array.
    first = 0 if shape[0] * out.shape[1] <= out.shape[0] * shape[1] else 1
    out = _resample_axis(out, shape[first], first)
    out = _resample_axis(out, shape[1 - first], 1 - first)
    return out.copy() if out is img else out


def stroke_width(img: np.ndarray) -> float:
    """Estimated stroke width in pixels: 2 × ink area / ink perimeter (0 for no ink)."""
    m = (img > 0.5 * float(img.max())).astype(np.int8) if img.size and img.max() > 0 else np.zeros((1, 1), np.int8)
    m = np.pad(m, 1)
    perimeter = np.abs(np.diff(m, axis=0)).sum() + np.abs(np.diff(m, axis=1)).sum()
    return float(2.0 * m.sum() / perimeter) if perimeter else 0.0


def _morph(img: np.ndarray, radius: int, grow: bool) -> np.ndarray:
    """Grey dilation (grow) or erosion by an octagon of ``radius`` (≈ a disk): alternating 3×3 square
    and cross steps, so the cost grows with the radius, not its square."""
    pick = np.maximum if grow else np.minimum
    fill = 0.0 if grow else float(img.max())
    out = img.astype(np.float32, copy=True)
    for i in range(radius):
        p = np.pad(out, 1, constant_values=fill)
        h, w = out.shape
        if i % 2 == 0:  # square: separable rows then columns
            rows = pick(pick(p[:, :-2], p[:, 1:-1]), p[:, 2:])
            out = pick(pick(rows[:-2], rows[1:-1]), rows[2:])
        else:  # cross
            c = p[1 : h + 1, 1 : w + 1]
            out = pick(pick(pick(c, p[:h, 1 : w + 1]), pick(p[2:, 1 : w + 1], p[1 : h + 1, :w])), p[1 : h + 1, 2:])
    return out


def _fix_width(sup: np.ndarray) -> np.ndarray:
    """Bring strokes (at SUPER x resolution) to MNIST's typical width, within a tolerance."""
    want = TARGET_WIDTH * SUPER
    have = stroke_width(sup)
    if have <= 0:
        return sup
    if have < 0.75 * want:
        return _morph(sup, max(1, round((want - have) / 2)), grow=True)
    if have > 1.5 * want:
        eroded = _morph(sup, max(1, round((have - want) / 2)), grow=False)
        # Never erode a digit away (a filled blob): keep the original if most ink would vanish.
        if eroded.sum() > 0.25 * sup.sum():
            return eroded
    return sup


def bounding_box(img: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), exclusive ends, of pixels above ``threshold``; None when blank."""
    mask = img > threshold
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


class InputFrame(NamedTuple):
    """Where the model input lies on the image it was made from: pixel (i, j) of the 28×28 covers the
    source pixels from (top + i·step_y, left + j·step_x) on, one step wide. Lets a picture of the input
    (a saliency map) be drawn back over the drawing, scaled and placed where the ink is."""

    top: float
    left: float
    step_y: float
    step_x: float


def _fit_box_frame(img: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float, float]] | None:
    """``fit_box`` plus the source rectangle (top, left, height, width) its box covers; None when blank."""
    img = np.clip(np.nan_to_num(np.asarray(img, dtype=np.float32)), 0.0, 1.0)
    if img.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {img.shape}")
    bbox = bounding_box(img)
    if bbox is None:
        return None
    top, bottom, left, right = bbox
    crop = img[top:bottom, left:right]
    h, w = crop.shape
    scale = BOX / max(h, w)
    out_h, out_w = max(1, round(h * scale)), max(1, round(w * scale))
    sup = resample_area(crop, (out_h * SUPER, out_w * SUPER))
    fy, fx = h / sup.shape[0], w / sup.shape[1]  # source pixels per supersampled pixel
    sup = _fix_width(sup)
    region = (float(top), float(left), float(h), float(w))
    # Width correction can grow ink past the box: re-crop and fit again at the same resolution.
    b = bounding_box(sup, INK_THRESHOLD * float(sup.max()))
    if b is not None:
        sup = sup[b[0] : b[1], b[2] : b[3]]
        region = (top + b[0] * fy, left + b[2] * fx, (b[1] - b[0]) * fy, (b[3] - b[2]) * fx)
        s2 = BOX * SUPER / max(sup.shape)
        if s2 < 1.0:
            sup = resample_area(sup, (max(1, round(sup.shape[0] * s2)), max(1, round(sup.shape[1] * s2))))
    oh, ow = max(1, round(sup.shape[0] / SUPER)), max(1, round(sup.shape[1] / SUPER))
    small = resample_area(sup, (oh, ow))
    peak = float(small.max())
    return (small / peak if peak > 0 else small), region


def fit_box(img: np.ndarray) -> np.ndarray | None:
    """Crop to the ink and fit it into BOX×BOX keeping aspect ratio, width-corrected. None when blank."""
    fitted = _fit_box_frame(img)
    return None if fitted is None else fitted[0]


def _mass_offset(box: np.ndarray) -> tuple[int, int]:
    """(top, left) that puts a ≤20×20 digit's centre of mass at the centre of 28×28, kept inside the frame."""
    h, w = box.shape
    total = float(box.sum())
    ys, xs = np.indices(box.shape)
    cy = float((ys * box).sum() / total) if total else (h - 1) / 2
    cx = float((xs * box).sum() / total) if total else (w - 1) / 2
    return int(np.clip(round((SIZE - 1) / 2 - cy), 0, SIZE - h)), int(np.clip(round((SIZE - 1) / 2 - cx), 0, SIZE - w))


def _place(box: np.ndarray, top: int, left: int) -> np.ndarray:
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + box.shape[0], left : left + box.shape[1]] = box
    return out


def center_by_mass(box: np.ndarray) -> np.ndarray:
    """Place a ≤20×20 digit in 28×28 with its centre of mass at the centre (kept inside the frame)."""
    return _place(box, *_mass_offset(box))


def normalize_digit(image: np.ndarray) -> np.ndarray:
    """2-D float image of any size, ink bright on dark in [0, 1] → (28, 28) float32 MNIST-style.

    A blank image gives all zeros.
    """
    return normalize_digit_frame(image)[0]


def normalize_digit_frame(image: np.ndarray) -> tuple[np.ndarray, InputFrame | None]:
    """``normalize_digit`` and where its 28×28 lies on ``image`` (None when blank)."""
    fitted = _fit_box_frame(image)
    if fitted is None:
        return np.zeros((SIZE, SIZE), dtype=np.float32), None
    box, (top, left, h, w) = fitted
    off_y, off_x = _mass_offset(box)
    step_y, step_x = h / box.shape[0], w / box.shape[1]
    out = np.clip(_place(box, off_y, off_x), 0.0, 1.0).astype(np.float32)
    return out, InputFrame(top - off_y * step_y, left - off_x * step_x, step_y, step_x)


def is_blank(image: np.ndarray) -> bool:
    return bounding_box(np.asarray(image, dtype=np.float32)) is None
