"""numpy → QImage, in one place: grey images as uint8 (0–255) or float (0–1), RGB and RGBA uint8.

The QImage is a copy that owns its bytes, so the array may change or go away afterwards (a QImage made
straight on ``a.data`` only borrows it, and shows garbage once numpy frees it).
"""

from __future__ import annotations


import numpy as np
from PySide6.QtGui import QImage

_FORMATS = {1: QImage.Format_Grayscale8, 3: QImage.Format_RGB888, 4: QImage.Format_RGBA8888}


def to_uint8(a: np.ndarray) -> np.ndarray:
    """uint8 as is; floats taken as [0, 1] (clipped) and scaled to 0–255."""
    a = np.asarray(a)
    if a.dtype == np.uint8:
        return a
    return (np.clip(a, 0.0, 1.0) * 255).astype(np.uint8)


def to_qimage(a: np.ndarray) -> QImage:
    """``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA (uint8, or float in [0, 1]) → an owning QImage."""
    g = np.ascontiguousarray(to_uint8(a))
    channels = 1 if g.ndim == 2 else g.shape[2]
    if g.ndim not in (2, 3) or channels not in _FORMATS:
        raise ValueError(f"expected (H, W), (H, W, 3) or (H, W, 4) pixels, got shape {g.shape}")
    h, w = g.shape[:2]
    return QImage(g.data, w, h, w * channels, _FORMATS[channels]).copy()
