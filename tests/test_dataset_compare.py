"""The Dataset tab with two models: "the two disagree" filter and both answers in the details; the Inside
view's links (every selection published, openInDataset shows the image)."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.views.state import ActiveModel
from tests.test_dataset_predictions import CountPredictor  # the tiny stub predictor
from tests.gui_helpers import open_window


@pytest.fixture
def window(qtbot):
    w = open_window(qtbot, 1200, 800)
    w.tabs.setCurrentWidget(w.dataset_tab)
    yield w
    w.close()


def _wait_idle(qtbot, w) -> None:
    from mnist_gui.views.threads import running_threads

    qtbot.waitUntil(lambda: not w.state.predictions.busy() and not running_threads(), timeout=30000)


def test_disagree_filter_with_two_stub_models(qtbot, window, mnist):
    tab, state = window.dataset_tab, window.state
    state.set_compare_model(None)  # the shipped CNN may already be the compare model
    assert not tab.disagree_box.isEnabled() and "other architecture" in tab.disagree_box.toolTip()
    a, b = CountPredictor(10), CountPredictor(5, "cnn")
    state.set_model(ActiveModel(a, "file", None, None))
    state.set_compare_model(ActiveModel(b, "file", None, None))
    assert tab.disagree_box.isEnabled() and "CNN" in tab.disagree_box.toolTip()
    tab.split_box.setCurrentIndex(1)
    tab.disagree_box.setChecked(True)
    qtbot.waitUntil(lambda: state.predictions.get(b, "test") is not None and tab.test_pred is not None, timeout=30000)
    expected = np.flatnonzero(a.classes_of(mnist.x_test) != b.classes_of(mnist.x_test))
    assert 0 < len(expected) < 10000
    assert tab.shown_indices().tolist() == expected.tolist()
    assert tab.count_label.text().startswith(f"{len(expected):,} of 10,000")
    from PySide6.QtCore import Qt  # the thumbnails carry both answers while comparing

    tip = tab.model.data(tab.model.index(0), Qt.ToolTipRole)
    assert f"the CNN model: {int(b.classes_of(mnist.x_test[expected[:1]])[0])}" in tip
    # the details pane names both answers and says they differ
    tab.select_index(int(expected[0]))
    text = tab.info.text()
    assert "MLP · active model predicted" in text and "CNN predicted" in text and "the two disagree" in text  # as Draw names them
    # with misclassified too: both filters hold
    tab.wrong_box.setChecked(True)
    both = expected[a.classes_of(mnist.x_test)[expected] != mnist.y_test[expected]]
    assert tab.shown_indices().tolist() == both.tolist()
    # the compare model goes: the filter is off, says why, and everything wrong is shown again
    state.set_compare_model(None)
    assert not tab.disagree_box.isEnabled() and "other architecture" in tab.disagree_box.toolTip()
    assert len(tab.shown_indices()) == int((a.classes_of(mnist.x_test) != mnist.y_test).sum())
    _wait_idle(qtbot, window)


def test_every_selection_is_published_and_open_in_dataset_selects(qtbot, window, mnist):
    tab, state = window.dataset_tab, window.state
    with qtbot.waitSignal(state.datasetImageSelected, timeout=5000) as sig:
        tab.select_index(5)
    image, split, index = sig.args
    assert (split, index) == ("train", 5) and image.shape == (28, 28) and (image == mnist.x_train[5]).all()
    # filtered to label 3 on train: opening test #7 switches split and clears what would hide it
    tab.label_box.setCurrentIndex(1 + 3)
    with qtbot.waitSignal(state.datasetImageSelected, timeout=5000, check_params_cb=lambda i, s, n: n == 7) as sig:
        state.open_in_dataset("test", 7)
    assert sig.args[1:] == ["test", 7] and (sig.args[0] == mnist.x_test[7]).all()
    assert tab.split_box.currentIndex() == 1 and tab.current == 7
    assert window.tabs.currentWidget() is tab
    assert "test #7" in tab.info.text()
    # an image hidden by the current filter is shown by clearing the filter
    tab.label_box.setCurrentIndex(1 + (int(mnist.y_test[9]) + 1) % 10)
    assert 9 not in tab.shown_indices()
    state.open_in_dataset("test", 9)
    assert tab.current == 9 and 9 in tab.shown_indices()
    _wait_idle(qtbot, window)


def test_disagree_filter_on_my_digits_keeps_filtering_after_edits(qtbot, window, mnist):
    """Any My digits change drops both models' answers for it: the compare model's are read again at once."""
    tab, state, coll = window.dataset_tab, window.state, window.state.my_digits
    a, b = CountPredictor(10), CountPredictor(5, "cnn")
    state.set_model(ActiveModel(a, "file", None, None))
    state.set_compare_model(ActiveModel(b, "file", None, None))
    for i in range(12):
        coll.add(mnist.x_test[i], int(mnist.y_test[i]))
    state.notify_my_digits_changed()
    tab.split_box.setCurrentIndex(2)
    tab.disagree_box.setChecked(True)

    def check() -> None:
        expected = np.flatnonzero(a.classes_of(coll.x) != b.classes_of(coll.x))
        assert 0 < len(expected) < len(coll)
        assert tab.shown_indices().tolist() == expected.tolist()
        assert tab.count_label.text() == f"{len(expected)} of {len(coll)} images"  # not "… reading them…"

    check()
    first = int(tab.shown_indices()[0])
    tab.select_index(first)
    tab.relabel_selected((int(coll.y[first]) + 1) % 10)
    check()
    tab.select_index(int(tab.shown_indices()[0]))
    tab.delete_selected()
    check()
    coll.add(mnist.x_test[1], int(mnist.y_test[1]))  # the two disagree on this one
    state.notify_my_digits_changed()
    check()
    _wait_idle(qtbot, window)
