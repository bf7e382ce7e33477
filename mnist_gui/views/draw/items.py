"""Plain values shared by the canvas and the Draw tab: a stroke, a digit found on the canvas, a box drawn over it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QPointF

__all__ = ["CanvasDigit", "Overlay", "Shifted", "Stroke"]


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


@dataclass(eq=False)
class Stroke:
    """A pen or eraser stroke, in square units (see the canvas)."""

    width: float  # fraction of the square's side
    eraser: bool = False
    points: list[QPointF] = field(default_factory=list)
    _arr: np.ndarray | None = field(default=None, repr=False)  # cached (K, 2) copy of a finished stroke

    def array(self) -> np.ndarray:
        """The points as a (K, 2) float array (cached: finished strokes never change)."""
        if self._arr is None or len(self._arr) != len(self.points):
            self._arr = np.array([(q.x(), q.y()) for q in self.points], dtype=np.float64).reshape(-1, 2)
        return self._arr
