"""Reading an image file as a digit: any size, dark-on-light or light-on-dark, with a size guard.

Returns ink-bright-on-dark floats in [0, 1] for :func:`mnist_gui.ml.preprocess.normalize_digit`.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from mnist_gui.errors import ImageError

log = logging.getLogger(__name__)

MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


def detect_polarity_and_convert(grey: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """Grey levels in [0, 1] → ink bright on dark. The background is the border's median."""
    if alpha is not None and float(alpha.min()) < 0.99:
        # Transparent background: the opaque parts are the ink, whatever their colour.
        return np.clip(alpha, 0.0, 1.0).astype(np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if float(np.median(border)) > 0.5:
        grey = 1.0 - grey
    lo = float(np.percentile(grey, 1))
    out = np.clip(grey - lo, 0.0, None)
    peak = float(out.max())
    return (out / peak if peak > 0 else out).astype(np.float32)


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode ``path`` to a 2-D float32 array, ink = 1. Raises :class:`ImageError` with the reason."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p}: no such file")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses larger images while reading the header
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                w, h = im.size
                if w == 0 or h == 0:
                    raise ImageError(f"{p}: the image is empty ({w}×{h})")
                if w * h > MAX_PIXELS:
                    raise ImageError(f"{p}: {w}×{h} pixels is too large (limit {MAX_PIXELS // 1_000_000} megapixels)")
                im.seek(0)  # first frame of an animation
                if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                    arr = np.asarray(im, dtype=np.float64)
                    grey = arr / max(float(arr.max()), 1.0)
                    alpha = None
                else:
                    rgba = np.asarray(im.convert("RGBA"), dtype=np.float32) / 255.0
                    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
                    alpha = rgba[..., 3]
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{p}: the image is too large to open safely") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"{p}: not an image this app can read (PNG, JPEG, BMP, GIF …)") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{p}: the image is damaged or truncated ({exc})") from exc
    if grey.ndim != 2 or min(grey.shape) < 1:
        raise ImageError(f"{p}: unexpected image shape {grey.shape}")
    return detect_polarity_and_convert(grey.astype(np.float32), alpha)
