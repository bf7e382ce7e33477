"""The Dataset browser's filter logic, a pure function: no QApplication here."""

from __future__ import annotations

import numpy as np

from mnist_gui.views.dataset.filters import Filters, describe, filter_indices

Y = np.array([0, 1, 2, 3, 1, 1, 7, 7])
PRED = np.array([0, 1, 3, 3, 7, 1, 1, 7])  # wrong at 2, 4, 6
OTHER = np.array([0, 2, 3, 3, 7, 9, 1, 1])  # differs from PRED at 1, 5, 7


def test_no_filter_keeps_everything_in_order():
    out = filter_indices(Y, Filters(), PRED, OTHER)
    assert out.tolist() == list(range(len(Y))) and out.dtype == np.int64


def test_label():
    assert filter_indices(Y, Filters(label=1)).tolist() == [1, 4, 5]
    assert filter_indices(Y, Filters(label=5), PRED).tolist() == []


def test_misclassified():
    assert filter_indices(Y, Filters(misclassified=True), PRED).tolist() == [2, 4, 6]
    assert filter_indices(Y, Filters(label=1, misclassified=True), PRED).tolist() == [4]


def test_confusion_cell():
    assert filter_indices(Y, Filters(cell=(1, 7)), PRED).tolist() == [4]
    assert filter_indices(Y, Filters(cell=(7, 7)), PRED).tolist() == [7]
    assert filter_indices(Y, Filters(cell=(4, 4)), PRED).tolist() == []


def test_the_two_disagree():
    assert filter_indices(Y, Filters(disagree=True), PRED, OTHER).tolist() == [1, 5, 7]
    # with the others: disagreeing and misclassified by the active model
    assert filter_indices(Y, Filters(disagree=True, misclassified=True), PRED, OTHER).tolist() == []
    assert filter_indices(Y, Filters(disagree=True, label=7), PRED, OTHER).tolist() == [7]


def test_filters_needing_predictions_not_yet_there_show_everything_else():
    assert filter_indices(Y, Filters(misclassified=True, label=7)).tolist() == [6, 7]
    assert filter_indices(Y, Filters(disagree=True), PRED, None).tolist() == list(range(len(Y)))
    assert filter_indices(Y, Filters(cell=(1, 7))).tolist() == list(range(len(Y)))


def test_empty_split():
    assert filter_indices(np.zeros(0, np.uint8), Filters(label=3, misclassified=True), np.zeros(0, np.int64)).tolist() == []


def test_describe():
    assert describe(12, 10000, Filters()) == "12 of 10,000 images"
    assert describe(3, 10000, Filters(cell=(4, 9))) == "3 of 10,000 images (true 4 → predicted 9)"
