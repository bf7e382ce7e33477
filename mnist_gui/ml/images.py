"""Reading an image file as a digit: any size, dark-on-light or light-on-dark, with a size guard.

Returns ink-bright-on-dark floats in [0, 1] for :func:`mnist_gui.ml.preprocess.normalize_digit`.

The guard reads the header only, before any pixel is decoded: at most 40 megapixels, each side at most
20,000 pixels, and the long side at most 100 times the short one. A 20×2000 strip (a tall "1") is read;
a 1×5,000,000 line (5 KB as a PNG) is refused: it cannot be a digit, and fitting it into 20×20 leaves
well under a pixel of it.
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
MAX_SIDE = 20_000  # longer than any camera's photo; bounds every per-axis buffer (and the canvas' QImage)
MAX_ASPECT = 100  # long side / short side: past 20 the short side is under a pixel of the 20×20 box anyway
DISPLAY_SIDE = 1024  # the canvas shows (and renders for the model at 168 px) no more than this


def detect_polarity_and_convert(grey: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """Grey levels in [0, 1] → ink bright on dark. The background is the border's median."""
    if alpha is not None and float(alpha.min()) < 0.99:
        # Transparent background: the opaque parts are the ink, whatever their colour.
        return np.clip(alpha, 0.0, 1.0).astype(np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if float(np.median(border)) > 0.5:
        grey = 1.0 - grey
    lo = float(np.percentile(grey, 1))
    out = grey - lo  # a new array, changed in place from here on (a 36-megapixel photo is 144 MB a copy)
    np.clip(out, 0.0, None, out=out)
    peak = float(out.max())
    if peak > 0:
        out /= peak
    return out.astype(np.float32, copy=False)


def check_size(w: int, h: int, name: object = "the image") -> None:
    """Refuse, with the reason, a size that cannot be a digit or would not fit in memory. Header only."""
    if w == 0 or h == 0:
        raise ImageError(f"{name}: the image is empty ({w}×{h})")
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise ImageError(f"{name}: {w}×{h} pixels is too thin to be a digit: its long side is {max(w, h) / min(w, h):,.0f} "
                         f"times its short side (at most {MAX_ASPECT})")
    if max(w, h) > MAX_SIDE:
        raise ImageError(f"{name}: {w}×{h} pixels is too large (each side at most {MAX_SIDE:,} pixels)")
    if w * h > MAX_PIXELS:
        raise ImageError(f"{name}: {w}×{h} pixels is too large (limit {MAX_PIXELS // 1_000_000} megapixels)")


def shrink_for_display(ink: np.ndarray, max_side: int = DISPLAY_SIDE) -> np.ndarray:
    """``ink`` area-averaged to at most ``max_side`` pixels a side (unchanged when already that small).

    The canvas keeps a QImage of it, copies it on every repaint and renders it at 168 px for the model:
    a full-size photo only costs memory and time on the GUI thread there.
    """
    from mnist_gui.ml.preprocess import resample_area

    h, w = ink.shape
    if max(h, w) <= max_side:
        return ink
    scale = max_side / max(h, w)
    return resample_area(ink, (max(1, round(h * scale)), max(1, round(w * scale))))


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
                check_size(*im.size, name=p)
                im.seek(0)  # first frame of an animation
                if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                    arr = np.asarray(im, dtype=np.float64)
                    grey = arr / max(float(arr.max()), 1.0)
                    alpha = None
                else:
                    # Bytes, weighted channel by channel: a float RGBA copy was 16 bytes a pixel.
                    rgba = np.asarray(im.convert("RGBA"))
                    grey = rgba[..., 0] * np.float32(0.299 / 255)
                    grey += rgba[..., 1] * np.float32(0.587 / 255)
                    grey += rgba[..., 2] * np.float32(0.114 / 255)
                    opacity = rgba[..., 3]
                    # Only a visibly transparent image uses its alpha (below 0.99, i.e. byte ≤ 252).
                    alpha = opacity.astype(np.float32) / 255.0 if int(opacity.min()) < 253 else None
                    del rgba, opacity
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
    return detect_polarity_and_convert(grey.astype(np.float32, copy=False), alpha)
