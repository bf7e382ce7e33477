"""Whole-split evaluation with a numpy predictor (no TensorFlow): probabilities in chunks and the confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from mnist_gui.ml.data import rescale
from mnist_gui.ml.model import NUM_CLASSES

PREDICT_CHUNK = 2048  # images per predict call: bounds the float copy (and the CNN's buffers) on big splits


def predict_all(predictor: Any, x_uint8: np.ndarray, batch: int = PREDICT_CHUNK) -> np.ndarray:
    """``(N, 28, 28)`` uint8 images → ``(N, 10)`` float32 probabilities, ``batch`` images at a time."""
    n = len(x_uint8)
    out = np.empty((n, NUM_CLASSES), dtype=np.float32)
    for s in range(0, n, max(1, batch)):
        out[s : s + batch] = predictor.predict(rescale(x_uint8[s : s + batch]))
    return out


def predict_classes(predictor: Any, x_uint8: np.ndarray, batch: int = PREDICT_CHUNK) -> np.ndarray:
    """The predicted digit of each image (``argmax`` of ``predict_all``), int64."""
    return predict_all(predictor, x_uint8, batch).argmax(axis=1).astype(np.int64)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``(10, 10)`` counts: rows the true digit, columns the predicted one."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    return np.bincount(y_true * NUM_CLASSES + y_pred, minlength=NUM_CLASSES * NUM_CLASSES).reshape(NUM_CLASSES, NUM_CLASSES)


def accuracy(predictor: Any, x_uint8: np.ndarray, y: np.ndarray) -> float:
    """Share of images read correctly (``nan`` for none)."""
    if len(y) == 0:
        return float("nan")
    return float((predict_classes(predictor, x_uint8) == np.asarray(y)).mean())
