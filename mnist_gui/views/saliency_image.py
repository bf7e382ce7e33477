"""The saliency map as a picture: the model input in grey with warm (evidence for) and cool (against) tints.

Plain numpy, no pyqtgraph: the Draw tab shows it beside the 28×28 input on every prediction update.
"""

from __future__ import annotations

import numpy as np

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
