"""The Dataset tab when the active model changes: the previous model's answers go at once, and a prediction
job that fails says so instead of "Evaluating…" forever."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.views.state import ActiveModel
from tests.gui_helpers import open_window
from tests.test_dataset_compare import _wait_idle
from tests.test_dataset_predictions import CountPredictor


class SplitFailingPredictor(CountPredictor):
    """Reads a few images, fails on a whole split's chunks (as running out of memory would)."""

    def predict(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) > 100:
            raise RuntimeError("out of memory")
        return super().predict(batch)


@pytest.fixture
def window(qtbot):
    w = open_window(qtbot, 1200, 800)
    w.tabs.setCurrentWidget(w.dataset_tab)
    tab = w.dataset_tab
    qtbot.waitUntil(lambda: tab.confusion is not None and tab.train_pred is not None, timeout=60000)
    yield w
    w.close()


def test_a_model_change_shows_none_of_the_previous_models_answers(qtbot, window, mnist):
    tab, state = window.dataset_tab, window.state
    tab.split_box.setCurrentIndex(1)
    tab.wrong_box.setChecked(True)
    old = tab.test_pred
    a = CountPredictor(10)
    new = a.classes_of(mnist.x_test)
    shown = tab.shown_indices()
    assert 0 < len(shown) < 10000
    pick = int(shown[np.flatnonzero(new[shown] != old[shown])[0]])  # the two models read it differently
    tab.select_index(pick)
    state.set_model(ActiveModel(a, "file", None, None))
    # until the new answers come: no red marks, "misclassified only" waits, the matrix is empty
    assert tab.model.predicted is None and tab.confusion is None
    assert len(tab.shown_indices()) == 10000 and tab.count_label.text().startswith("10,000 of 10,000")
    assert tab.table.item(0, 0) is None and "Evaluating" in tab.overall_label.text()
    assert f"predicted <b>{int(new[pick])}</b>" in tab.info.text()  # the details read it with the new model
    qtbot.waitUntil(lambda: tab.confusion is not None, timeout=30000)
    assert (tab.model.predicted == new).all()
    assert tab.shown_indices().tolist() == np.flatnonzero(new != mnist.y_test).tolist()
    assert int(np.trace(tab.confusion)) == int((new == mnist.y_test).sum())
    assert tab.table.item(0, 0).text() == str(int(tab.confusion[0, 0]))
    _wait_idle(qtbot, window)


def test_a_failed_prediction_job_says_so(qtbot, window):
    tab, state = window.dataset_tab, window.state
    statuses: list[str] = []
    errors: list[tuple[str, str]] = []
    state.statusMessage.connect(statuses.append)
    state.errorRaised.connect(lambda title, message: errors.append((title, message)))
    state.set_model(ActiveModel(SplitFailingPredictor(10), "file", None, None))
    assert "Evaluating" in tab.overall_label.text()
    qtbot.waitUntil(lambda: "out of memory" in tab.overall_label.text(), timeout=30000)
    assert "Could not evaluate" in tab.overall_label.text() and tab.confusion is None
    _wait_idle(qtbot, window)  # the train job failed too
    failed = [s for s in statuses if s.startswith("The active model could not read") and "out of memory" in s]
    assert len(failed) == 2 and any("the test images" in s for s in failed) and any("the train images" in s for s in failed)
    assert not errors  # a status line per job, no dialog
    # back to the default model: its answers were kept, the matrix shows again
    state.use_default()
    assert tab.confusion is not None and "Test accuracy" in tab.overall_label.text()
    _wait_idle(qtbot, window)


def test_a_compare_model_that_cannot_read_a_split_says_so_on_the_count_line(qtbot, window):
    tab, state = window.dataset_tab, window.state
    statuses: list[str] = []
    state.statusMessage.connect(statuses.append)
    state.set_compare_model(ActiveModel(SplitFailingPredictor(5, "cnn"), "file", None, None))
    tab.split_box.setCurrentIndex(1)
    tab.disagree_box.setChecked(True)
    assert "the CNN model is reading them…" in tab.count_label.text()
    qtbot.waitUntil(lambda: "the CNN model could not read them" in tab.count_label.text(), timeout=30000)
    assert "out of memory" in tab.count_label.text() and len(tab.shown_indices()) == 10000
    assert any(s.startswith("The CNN model could not read the test images") for s in statuses)
    _wait_idle(qtbot, window)
