"""Which images the Dataset tab's browser shows: a pure function of the labels, the predictions and the
chosen filters (no Qt, so it is unit-tested without a QApplication)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Filters:
    """The browser's filters; all that are set must hold (AND)."""

    label: int | None = None  # only this true label
    misclassified: bool = False  # only images the active model gets wrong
    cell: tuple[int, int] | None = None  # a confusion-matrix cell: (true label, predicted label)
    disagree: bool = False  # only images where the active model and the compare model answer differently


def filter_indices(labels: np.ndarray, filters: Filters, predicted: np.ndarray | None = None,
                   other: np.ndarray | None = None) -> np.ndarray:
    """Dataset indices (ascending, int64) of the images that pass ``filters``.

    ``predicted`` is the active model's class per image, ``other`` the compare model's. A filter that needs
    predictions not yet computed (``None``) is not applied: the browser shows everything until they arrive,
    rather than nothing.
    """
    labels = np.asarray(labels)
    keep = np.ones(len(labels), dtype=bool)
    if filters.label is not None:
        keep &= labels == filters.label
    if predicted is not None:
        if filters.cell is not None:
            t, p = filters.cell
            keep &= (labels == t) & (predicted == p)
        if filters.misclassified:
            keep &= predicted != labels
        if filters.disagree and other is not None:
            keep &= predicted != other
    return np.flatnonzero(keep).astype(np.int64)


def describe(shown: int, total: int, filters: Filters) -> str:
    """The browser's count line, e.g. '12 of 10,000 images (true 4 → predicted 9)'."""
    desc = f"{shown:,} of {total:,} images"
    if filters.cell is not None:
        desc += f" (true {filters.cell[0]} → predicted {filters.cell[1]})"
    return desc
