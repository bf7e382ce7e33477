"""The saliency map as a picture: the model input in grey with warm (evidence for) and cool (against) tints,
and the same colours laid over the ink of the drawing itself, scaled to where each digit lies.

Plain numpy, no pyqtgraph: the Draw tab shows both after its prediction updates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

_NEG = np.array([33.0, 102.0, 172.0])  # blue: ink that argues against the answer
_MID = np.array([247.0, 247.0, 247.0])
_POS = np.array([178.0, 24.0, 43.0])  # red: ink that makes it the answer


def _normalised(sal: np.ndarray) -> np.ndarray:
    """``sal`` in [-1, 1], scaled by the 98th percentile of its non-zero magnitudes, so one extreme pixel does
    not wash out the rest."""
    mag = np.abs(sal[sal != 0])
    lim = float(np.percentile(mag, 98)) if mag.size else 0.0
    return np.clip(sal / lim, -1.0, 1.0) if lim > 0 else np.zeros_like(sal, dtype=np.float64)


def _alpha(t: np.ndarray) -> np.ndarray:
    return np.clip(t ** 0.6 * 1.2, 0, 1)


def saliency_rgb(image: np.ndarray, sal: np.ndarray, dark: bool) -> np.ndarray:
    """RGB ``(28, 28, 3)`` uint8 of the input in grey with the map's colours over it."""
    norm = _normalised(sal)
    t = np.abs(norm)[..., None]
    colour = np.where(norm[..., None] >= 0, _MID + (_POS - _MID) * t, _MID + (_NEG - _MID) * t)
    paper, pen = (30.0, 150.0) if dark else (255.0, 110.0)
    grey = (paper + (pen - paper) * np.clip(image, 0, 1))[..., None]  # the digit shows faintly underneath
    alpha = _alpha(t)
    return (grey * (1 - alpha) + colour * alpha).astype(np.uint8)


def _sample(sal: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``sal`` at fractional pixel-centre coordinates (zero outside): a smooth map at the
    raster's resolution instead of 28×28 blocks."""
    padded = np.pad(sal.astype(np.float32), 1)
    r, c = np.clip(rows + 1, 0, padded.shape[0] - 1.001), np.clip(cols + 1, 0, padded.shape[1] - 1.001)
    r0, c0 = np.floor(r).astype(np.intp), np.floor(c).astype(np.intp)
    fr, fc = (r - r0)[:, None], (c - c0)[None, :]
    top = padded[r0][:, c0] * (1 - fc) + padded[r0][:, c0 + 1] * fc
    bottom = padded[r0 + 1][:, c0] * (1 - fc) + padded[r0 + 1][:, c0 + 1] * fc
    return top * (1 - fr) + bottom * fr


def ink_tint_rgba(raster: np.ndarray, maps: list[tuple[np.ndarray, tuple[float, float, float, float]]]) -> np.ndarray:
    """RGBA ``raster.shape + (4,)`` uint8 to lay over the drawing: each ``(saliency, frame)`` coloured red (for)
    or blue (against) where the raster has ink, transparent elsewhere. ``frame`` is the input's (top row, left
    column, rows per input pixel, columns per input pixel) on the raster, as :class:`CanvasDigit` gives it."""
    h, w = raster.shape
    out = np.zeros((h, w, 4), np.uint8)
    for sal, (top, left, step_y, step_x) in maps:
        r0, r1 = max(0, int(top)), min(h, int(np.ceil(top + 28 * step_y)))
        c0, c1 = max(0, int(left)), min(w, int(np.ceil(left + 28 * step_x)))
        if r0 >= r1 or c0 >= c1:
            continue
        rows = (np.arange(r0, r1) + 0.5 - top) / step_y - 0.5
        cols = (np.arange(c0, c1) + 0.5 - left) / step_x - 0.5
        norm = _sample(_normalised(sal), rows, cols)
        alpha = _alpha(np.abs(norm)) * np.clip(raster[r0:r1, c0:c1] * 1.5, 0, 1)
        colour = np.where(norm[..., None] >= 0, _POS, _NEG)
        patch = out[r0:r1, c0:c1]
        mine = alpha * 255 > patch[..., 3]  # neighbouring digits' windows can overlap: the stronger colour wins
        patch[mine, :3] = colour[mine].astype(np.uint8)
        patch[mine, 3] = (alpha[mine] * 255).astype(np.uint8)
    return out


def saliency_of(predictor: Any, x: np.ndarray, digit: int) -> np.ndarray | None:
    """The saliency of ``x`` for ``digit``, or None for a predictor with no explainer.

    Numpy: ~1 ms for the MLP; the CNN gets 8 integration steps to stay off the draw path's budget.
    """
    import mnist_gui.ml.explain_conv  # noqa: F401  (registers the CNN's explainer)
    from mnist_gui.ml.explain import saliency

    if predictor is None:
        return None
    steps = 8 if type(predictor).__name__ == "NumpyCnnPredictor" else 32
    try:
        return saliency(predictor, x, digit, steps=steps)
    except TypeError:  # no explainer for it (a stub, a future model kind): no picture, the answer still shows
        return None


def saliency_pixmap(x: np.ndarray, sal: np.ndarray, dark: bool, size: int) -> QPixmap:
    """The map of ``x`` as a ``size`` px picture for the Draw tab's tile."""
    from mnist_gui.views.qimage import to_qimage

    img = to_qimage(saliency_rgb(x, sal, dark))
    return QPixmap.fromImage(img.scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation))
