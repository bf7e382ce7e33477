"""The Dataset tab: filters, the notebook's figures, the pixel view, the confusion matrix, send to canvas."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.app import create_window


@pytest.fixture
def window(qtbot):
    w = create_window()
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitUntil(lambda: w.state.data is not None and w.state.model is not None, timeout=20000)
    w.tabs.setCurrentWidget(w.dataset_tab)
    qtbot.waitUntil(lambda: w.dataset_tab.confusion is not None, timeout=20000)
    yield w
    w.close()


def test_filter_by_label_returns_only_that_label(window, mnist):
    tab = window.dataset_tab
    tab.label_box.setCurrentIndex(1 + 3)
    shown = tab.shown_indices()
    assert len(shown) == 6131 and (mnist.y_train[shown] == 3).all()


def test_first_six_match_the_dataset(window, mnist):
    tab = window.dataset_tab
    titles = [ax.get_title() for ax in tab.first_six.axes]
    assert titles == [str(v) for v in mnist.y_train[:6]]
    for ax, img in zip(tab.first_six.axes, mnist.x_train[:6]):
        assert (np.asarray(ax.images[0].get_array()) == img).all()


def test_pixel_view_shows_true_values(window, mnist):
    tab = window.dataset_tab
    tab.select_index(0)
    img = mnist.x_train[0]
    ys, xs = np.nonzero(img)
    for y, x in list(zip(ys, xs))[:20] + [(0, 0)]:
        assert tab.pixel_canvas.cell_text(y, x) == str(int(img[y, x]))
    tab.rescale_box.setChecked(True)
    y, x = ys[0], xs[0]
    assert tab.pixel_canvas.cell_text(y, x) == f"{img[y, x] / 255:.1f}"
    assert "one-hot <code>[0 0 0 0 0 1 0 0 0 0]</code>" in tab.info.text()


def test_confusion_cell_filters_browser_and_counts_add_up(window, mnist):
    tab = window.dataset_tab
    assert int(tab.confusion.sum()) == 10000
    cm = tab.confusion
    t, p = np.unravel_index(np.argmax(cm - np.diag(np.diag(cm))), cm.shape)
    tab.filter_cell(int(t), int(p))
    shown = tab.shown_indices()
    assert len(shown) == cm[t, p] > 0
    assert (mnist.y_test[shown] == t).all() and (tab.test_pred[shown] == p).all()


def test_misclassified_only(window, mnist):
    tab = window.dataset_tab
    tab.split_box.setCurrentIndex(1)
    tab.wrong_box.setChecked(True)
    shown = tab.shown_indices()
    assert len(shown) == 10000 - int(np.trace(tab.confusion))
    assert (tab.test_pred[shown] != mnist.y_test[shown]).all()


def test_send_to_canvas(window, mnist):
    tab = window.dataset_tab
    tab.select_index(2)
    tab.send_btn.click()
    assert window.tabs.currentWidget() is window.draw_tab
    assert window.draw_tab.true_label == int(mnist.y_train[2])
    assert window.draw_tab.last_probs is not None


def test_export_figure(window, tmp_path):
    assert window.dataset_tab.export_figure(str(tmp_path / "pixels.png"), "pixels")
    assert (tmp_path / "pixels.png").read_bytes()[:4] == b"\x89PNG"
