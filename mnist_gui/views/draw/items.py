"""Plain values shared by the canvas and the Draw tab: a digit found on the canvas, a box drawn over it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["CanvasDigit", "Overlay", "Shifted"]


class Shifted(NamedTuple):
    """A stroke moved into the segmentation frame (origin at the raster's top-left)."""

    points: np.ndarray
    width: float
    eraser: bool


@dataclass(frozen=True)
class CanvasDigit:
    """One digit on the canvas: its box in square units, its 28×28 model input and the segmenter's flags."""

    box: tuple[float, float, float, float]  # left, top, right, bottom
    x: np.ndarray
    split: bool = False
    looks_like_two: bool = False
    strokes: tuple[int, ...] = ()  # indices of its strokes (ink and the erasers touching it); () for an image
    # Where the 28×28 input lies on the canvas raster: (row, column) of its top-left corner and the raster
    # pixels per input pixel (rows, columns); None when blank. Draws a saliency map back over the ink.
    frame: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class Overlay:
    """A box drawn over a digit with its answer."""

    box: tuple[float, float, float, float]
    text: str
    low: bool = False  # low confidence: drawn in amber
    selected: bool = False
