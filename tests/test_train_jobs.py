"""Train-tab job control: evaluate-untrained and training never run at the same time (both seed Keras)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mnist_gui.ml.data import Mnist


@pytest.fixture
def window(tf_window, mnist):
    tf_window.state.set_data(Mnist(mnist.x_train[:600], mnist.y_train[:600], mnist.x_test[:200], mnist.y_test[:200], "tiny"))
    tf_window.train_tab.apply_preset("notebook")
    yield tf_window
    tf_window.close()


def test_train_waits_while_evaluate_runs(qtbot, window):
    tab = window.train_tab
    with qtbot.waitSignal(tab.evaluated, timeout=60000):
        tab.eval_btn.click()
        assert not tab.train_btn.isEnabled() and not tab.train_action.isEnabled()
        tab.start_training()  # e.g. Ctrl+T while evaluating: ignored
        assert not tab.is_training()
    assert tab.train_btn.isEnabled() and tab.eval_btn.isEnabled()


def test_evaluate_is_refused_while_training(qtbot, window):
    tab = window.train_tab
    tab.epochs.setValue(1)
    evaluated = []
    tab.evaluated.connect(evaluated.append)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000):
        tab.train_btn.click()
        assert tab.is_training() and not tab.eval_btn.isEnabled()
        tab.evaluate_untrained()
        assert tab.jobs.eval_thread is None
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    assert not evaluated and tab.eval_btn.isEnabled()


def test_train_pressed_before_tensorflow_starts_once_it_has_loaded(qtbot, started_window, mnist):
    w = started_window
    w.state.set_data(Mnist(mnist.x_train[:600], mnist.y_train[:600], mnist.x_test[:200], mnist.y_test[:200], "tiny"))
    tab = w.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(1)
    assert not w.state.tf_ready, "the window does not import TensorFlow before it is needed"
    w.tabs.setCurrentWidget(tab)  # showing the tab asks for TensorFlow and says it is loading
    assert w.state.tf_requested and tab.monitor.loading.isVisibleTo(tab)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000):
        tab.train_btn.click()
        if not w.state.tf_ready:
            assert not tab.is_training() and "Training starts" in tab.monitor.loading_label.text()
            assert not tab.train_btn.isEnabled() and tab.stop_btn.isEnabled()  # Stop cancels the wait
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    assert not tab.monitor.loading.isVisibleTo(tab)
    w.close()


def test_ctrl_shift_t_while_evaluating_says_a_job_is_under_way(qtbot, window):
    tab = window.train_tab
    with qtbot.waitSignal(tab.evaluated, timeout=60000):
        tab.eval_btn.click()
        tab.finetune_action.trigger()
        assert not tab.is_training()
        assert "Fine-tuning cannot start: an evaluation or the TensorFlow load is under way" in window.status_msg.text()


def test_export_plots_is_enabled_once_the_plots_show_something(window):
    """Made on the tab's first show, the plots are empty: nothing to export until a run's curves or earlier runs show."""
    tab = window.train_tab
    assert tab.monitor.plots is None and window.tabs.currentWidget() is not tab
    window.tabs.setCurrentWidget(tab)
    assert tab.monitor.plots is not None and not tab.png_btn.isEnabled()
    earlier = SimpleNamespace(history={"val_loss": [0.3, 0.2], "loss": [0.4, 0.25]}, best_epoch=2, name="earlier",
                              arch="mlp", created="2026-11-26T10:00:00")
    tab.monitor.set_overlays([earlier])  # what selecting a run in the Runs list does
    assert tab.png_btn.isEnabled()
    tab.monitor.set_overlays([])
    assert not tab.png_btn.isEnabled()
    tab.monitor.show_history({"loss": [0.5, 0.3], "accuracy": [0.8, 0.9]})  # a loaded model's history
    tab._update_buttons()
    assert tab.png_btn.isEnabled()
