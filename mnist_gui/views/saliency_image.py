"""The saliency map as a picture: the model input in grey with warm (evidence for) and cool (against) tints.

Plain numpy, no pyqtgraph: the Draw tab shows it beside the 28×28 input on every prediction update.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap

_NEG = np.array([33.0, 102.0, 172.0])  # blue: ink that argues against the answer
_MID = np.array([247.0, 247.0, 247.0])
_POS = np.array([178.0, 24.0, 43.0])  # red: ink that makes it the answer


def saliency_rgb(image: np.ndarray, sal: np.ndarray, dark: bool) -> np.ndarray:
    """RGB ``(28, 28, 3)`` uint8; colours scaled by the 98th percentile of the ink's magnitudes, so one extreme
    pixel does not wash out the rest."""
    mag = np.abs(sal[sal != 0])
    lim = float(np.percentile(mag, 98)) if mag.size else 0.0
    norm = np.clip(sal / lim, -1.0, 1.0) if lim > 0 else np.zeros_like(sal, dtype=np.float64)
    t = np.abs(norm)[..., None]
    colour = np.where(norm[..., None] >= 0, _MID + (_POS - _MID) * t, _MID + (_NEG - _MID) * t)
    paper, pen = (30.0, 150.0) if dark else (255.0, 110.0)
    grey = (paper + (pen - paper) * np.clip(image, 0, 1))[..., None]  # the digit shows faintly underneath
    alpha = np.clip(t ** 0.6 * 1.2, 0, 1)
    return (grey * (1 - alpha) + colour * alpha).astype(np.uint8)


def saliency_pixmap(predictor: Any, x: np.ndarray, digit: int, dark: bool, size: int) -> QPixmap | None:
    """The saliency of ``x`` for ``digit`` as a ``size`` px picture, or None for a predictor with no explainer.

    Numpy: ~1 ms for the MLP; the CNN gets 8 integration steps to stay off the draw path's budget.
    """
    import mnist_gui.ml.explain_conv  # noqa: F401  (registers the CNN's explainer)
    from mnist_gui.ml.explain import saliency
    from mnist_gui.views.qimage import to_qimage

    if predictor is None:
        return None
    steps = 8 if type(predictor).__name__ == "NumpyCnnPredictor" else 32
    try:
        sal = saliency(predictor, x, digit, steps=steps)
    except TypeError:  # no explainer for it (a stub, a future model kind): no picture, the answer still shows
        return None
    img = to_qimage(saliency_rgb(x, sal, dark))
    return QPixmap.fromImage(img.scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation))
