"""Training lifecycle under stress: start/stop cycles, overlapping requests, drawing and loading while training."""

from __future__ import annotations

import pytest

from mnist_gui.ml.data import Mnist
from mnist_gui.paths import default_model_path
from mnist_gui.views.threads import running_threads
from tests.gui_helpers import draw_polyline, open_window


@pytest.fixture
def window(qtbot, mnist):
    w = open_window(qtbot, need_tf=True)  # asks for TensorFlow (imported only when needed) and waits for it
    w.state.set_data(Mnist(mnist.x_train[:600], mnist.y_train[:600], mnist.x_test[:200], mnist.y_test[:200], "tiny"))
    w.train_tab.apply_preset("notebook")
    yield w
    w.close()


@pytest.mark.slow
def test_fifty_start_stop_cycles_leave_no_thread(qtbot, window):
    tab = window.train_tab
    tab.epochs.setValue(100)
    tab.batch_size.setValue(16)
    outcomes = []
    tab.trainingFinished.connect(lambda r: outcomes.append("done"))
    tab.trainingFailed.connect(outcomes.append)
    for _i in range(50):
        tab.train_btn.click()
        assert tab.is_training()
        tab.stop_btn.click()
        qtbot.waitUntil(lambda: tab.worker is None, timeout=60000)
    assert len(outcomes) == 50 and set(outcomes) == {"done"}
    qtbot.waitUntil(lambda: running_threads() == [], timeout=30000)


def test_start_while_stop_is_unwinding_is_ignored(qtbot, window):
    tab = window.train_tab
    tab.epochs.setValue(100)
    tab.train_btn.click()
    first = tab.thread
    tab.stop_btn.click()
    assert not tab.train_btn.isEnabled()
    tab.start_training()  # e.g. a shortcut pressed while the stop unwinds: must not start a second run
    assert tab.thread is first
    qtbot.waitUntil(lambda: tab.worker is None, timeout=60000)
    assert tab.train_btn.isEnabled()
    tab.epochs.setValue(1)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000):
        tab.train_btn.click()
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)


def _start_long_training(qtbot, tab):
    """Start a 100-epoch run and wait for its first batch."""
    tab.epochs.setValue(100)
    tab.train_btn.click()
    qtbot.waitUntil(lambda: bool(tab.batch_x), timeout=60000)


def test_drawing_and_predicting_while_training(qtbot, window):
    tab = window.train_tab
    _start_long_training(qtbot, tab)
    draw = window.draw_tab
    seen = []
    draw.predicted.connect(lambda d, c: seen.append(d))
    for _k in range(10):
        draw.canvas.clear()
        draw_polyline(draw.canvas, [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)])
        qtbot.wait(40)
    qtbot.waitUntil(lambda: len(seen) >= 5, timeout=5000)
    assert tab.is_training()
    tab.stop_btn.click()
    qtbot.waitUntil(lambda: tab.worker is None, timeout=60000)


def test_loading_a_model_while_training(qtbot, window):
    tab = window.train_tab
    _start_long_training(qtbot, tab)
    window.load_model(str(default_model_path()))
    qtbot.waitUntil(lambda: window.state.model.kind == "file", timeout=60000)
    assert tab.is_training()
    with qtbot.waitSignal(tab.trainingFinished, timeout=60000):
        tab.stop_btn.click()
    # the stopped run (a tiny slice, part of an epoch) does not replace the loaded model; the user may choose it
    assert window.state.model.kind == "file"
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    tab.use_result_btn.click()
    assert window.state.model.kind == "trained"


def test_nan_loss_in_gui_shows_message_and_keeps_app_usable(qtbot, window):
    tab = window.train_tab
    tab.optimizer.setCurrentText("sgd")
    tab.lr.setText("10")
    tab.batch_size.setValue(16)  # many steps at that rate: inf/NaN whatever order the batches come in
    tab.epochs.setValue(3)
    ended = []
    tab.trainingFinished.connect(lambda r: ended.append(r.stop_reason))
    tab.trainingFailed.connect(ended.append)
    tab.train_btn.click()
    # NaN in the first epoch leaves no checkpoint (failed); later, the best so far is kept (finished, stopped)
    qtbot.waitUntil(lambda: bool(ended), timeout=120000)
    assert "NaN" in ended[0] and "NaN" in window.last_error
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    assert tab.train_btn.isEnabled() and window.state.model.kind == "default"
