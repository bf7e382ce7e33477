"""Whole-split evaluation with numpy predictors: probabilities in chunks and the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.ml.evaluation import accuracy, confusion_matrix, predict_all, predict_classes
from mnist_gui.ml.inference import load_default_predictor


def test_predict_all_equals_one_call_whatever_the_chunk(mnist):
    p = load_default_predictor()
    x = mnist.x_test[:700]
    whole = p.predict(x / np.float32(255))
    for batch in (1000, 256, 7):
        out = predict_all(p, x, batch=batch)
        assert out.shape == (700, 10) and out.dtype == np.float32
        assert np.abs(out - whole).max() < 1e-6
    assert np.array_equal(predict_classes(p, x, batch=64), whole.argmax(1))
    assert predict_all(p, x[:0]).shape == (0, 10)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    y_true = np.array([0, 0, 1, 9, 9, 9], np.uint8)
    y_pred = np.array([0, 7, 1, 9, 4, 9])
    m = confusion_matrix(y_true, y_pred)
    assert m.shape == (10, 10) and m.sum() == 6
    assert m[0, 0] == 1 and m[0, 7] == 1 and m[1, 1] == 1 and m[9, 9] == 2 and m[9, 4] == 1
    with pytest.raises(ValueError, match="labels but"):
        confusion_matrix(y_true, y_pred[:3])


def test_accuracy_of_the_default_model(mnist):
    p = load_default_predictor()
    acc = accuracy(p, mnist.x_test[:1000], mnist.y_test[:1000])
    m = confusion_matrix(mnist.y_test[:1000], predict_classes(p, mnist.x_test[:1000]))
    assert acc > 0.97 and acc == pytest.approx(np.trace(m) / 1000)
