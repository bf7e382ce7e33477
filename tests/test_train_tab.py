"""Training through the GUI: a real short run in the worker thread, stop, close mid-training, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.ml.data import Mnist


@pytest.fixture
def window(tf_window, small_mnist: Mnist):
    """A started window with TensorFlow loaded (requested, as the app does when it is needed) and a tiny slice."""
    tf_window.state.set_data(small_mnist)  # tiny slice: training here is plumbing
    yield tf_window
    tf_window.close()


def test_short_training_updates_plots_accuracy_and_draw_model(qtbot, window):
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.apply_preset("notebook")
    tab.epochs.setValue(2)
    tab.limit.setValue(1500)  # fewer images than the data has: the Runs list says so
    batches, statuses = [], []
    window.state.statusMessage.connect(statuses.append)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
        assert not tab.train_btn.isEnabled() and tab.stop_btn.isEnabled()
        tab.worker.batch.connect(lambda *a: batches.append(a))
    result = blocker.args[0]
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    assert batches, "no batch signals arrived"
    assert len(tab.history["val_loss"]) == 2
    assert tab._plots.point_count() > 4
    assert tab.result_label.text() == f"Test accuracy: {result.test_accuracy:.2%} — best epoch {result.best_epoch}"
    assert "  " not in tab.result_label.text()
    assert statuses[-1] == (f"Training done: test accuracy {result.test_accuracy:.2%}; "
                            "the Draw, Dataset and Inside tabs now use this model")
    # The accuracy plot is in percent; the history the tab keeps (and exports) stays in fractions.
    _, val_plotted = tab._plots.curves["accuracy"]["val"].getData()
    assert all(0.0 <= v <= 1.0 for v in tab.history["val_accuracy"])
    assert np.allclose(val_plotted, np.asarray(tab.history["val_accuracy"]) * 100)
    # The Runs list: the run fitted on 1,200 images (1,500 less the 20 % validation split).
    assert result.train_images == 1200
    runs = tab.runs
    from mnist_gui.views.train.runs_panel import COLUMNS, ID_ROLE

    row = next(r for r in range(runs.proxy.rowCount()) if runs.proxy.index(r, 0).data(ID_ROLE) == result.run_id)
    assert runs.proxy.index(row, COLUMNS.index("Images")).data() == "1,200"
    assert window.state.model.kind == "trained" and window.state.model.path == result.model_path
    assert "trained this session" in window.model_label.text()
    # the Draw tab now predicts with the new model
    window.draw_tab.show_digit(window.state.data.x_test[0], int(window.state.data.y_test[0]))
    expected = result.predictor.predict(window.state.data.x_test[:1] / 255.0)
    assert window.draw_tab.last_probs is not None and window.state.model.predictor is result.predictor
    assert expected.shape == (1, 10)
    # and back to the default
    tab.default_btn.click()
    assert window.state.model.kind == "default"


def test_stop_mid_epoch_keeps_best_checkpoint(qtbot, window):
    tab = window.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(50)
    tab.batch_size.setValue(16)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
        qtbot.waitUntil(lambda: len(tab.history.get("val_loss", [])) >= 1, timeout=60000)
        tab.stop_btn.click()
    result = blocker.args[0]
    assert result.stopped and result.stop_reason == "stopped by user"
    assert len(result.history["loss"]) < 50
    assert result.model_path.is_file()
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    assert tab.train_btn.isEnabled()


def test_close_window_mid_training_ends_thread(qtbot, window):
    tab = window.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(50)
    tab.train_btn.click()
    qtbot.waitUntil(lambda: bool(tab.batch_x), timeout=60000)
    thread = tab.thread
    window.close()
    assert not thread.isRunning()


def test_invalid_hyperparameters_are_rejected_inline(qtbot, window):
    tab = window.train_tab
    tab.hidden.setText("512, zero")
    assert "hidden units" in tab.form_error.text() and not tab.train_btn.isEnabled()
    tab.hidden.setText("512, 512")
    tab.lr.setText("-1")
    assert "learning rate" in tab.form_error.text() and not tab.train_btn.isEnabled()
    tab.lr.setText("0.001")
    tab.batch_size.setValue(60000)
    assert "larger than" in tab.form_error.text()
    tab.apply_preset("notebook")
    assert tab.form_error.text() == "" and tab.train_btn.isEnabled()
    assert "Total params: 669,706" in tab.summary.toPlainText()


def test_evaluate_untrained_is_near_chance(qtbot, window):
    tab = window.train_tab
    with qtbot.waitSignal(tab.evaluated, timeout=60000) as blocker:
        tab.eval_btn.click()
    assert 0.0 <= blocker.args[0] < 0.3


def test_save_load_round_trip_and_exports(qtbot, window, tmp_path):
    tab = window.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(1)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
    result = blocker.args[0]
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    saved = tmp_path / "mine.keras"
    assert tab.save_model(str(saved))
    assert saved.is_file() and (tmp_path / "mine.weights.npz").is_file() and (tmp_path / "mine.json").is_file()
    window.load_model(str(saved))
    qtbot.waitUntil(lambda: window.state.model.kind == "file", timeout=60000)
    x = window.state.data.x_test[:50] / 255.0
    assert np.array_equal(window.state.model.predictor.predict(x), result.predictor.predict(x))
    assert "Loaded model: test accuracy" in tab.result_label.text()
    assert tab.export_csv(str(tmp_path / "h.csv"))
    rows = (tmp_path / "h.csv").read_text().strip().splitlines()
    assert rows[0].startswith("epoch,") and "val_loss" in rows[0] and len(rows) == 2
    assert tab.export_plots(str(tmp_path / "p.png"))
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def _add_my_digits(window, mnist, n: int) -> None:
    for i in range(n):
        window.state.my_digits.add(mnist.x_test[1000 + i], int(mnist.y_test[1000 + i]))
    window.state.myDigitsChanged.emit()


def test_finetune_needs_enough_digits(window, mnist):
    panel = window.train_tab.finetune
    assert not panel.start_btn.isEnabled() and "empty" in panel.counts.text()
    _add_my_digits(window, mnist, 8)
    assert not panel.start_btn.isEnabled() and "8 —" in panel.counts.text()
    _add_my_digits(window, mnist, 12)
    assert panel.start_btn.isEnabled() and "held out" in panel.counts.text()


@pytest.mark.parametrize("decision", ["keep", "discard"])
def test_finetune_shows_before_after_and_applies_only_when_kept(qtbot, window, mnist, decision):
    from mnist_gui.ml import finetune

    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    _add_my_digits(window, mnist, 24)
    panel = tab.finetune
    panel.epochs.setValue(1)
    base = window.state.model
    cfg = panel.config()
    cfg = finetune.FinetuneConfig(epochs=1, mine_fraction=cfg.mine_fraction, learning_rate=cfg.learning_rate, mnist_per_epoch=1000)
    held = int(window.state.my_digits.holdout_mask().sum())  # what the run will hold out
    with qtbot.waitSignal(tab.finetuneFinished, timeout=120000) as sig:
        tab.start_finetune(cfg)
        assert tab.is_training() and not panel.start_btn.isEnabled()
        _add_my_digits(window, mnist, 1)  # a digit added meanwhile must not re-enable the button
        assert not panel.start_btn.isEnabled() and not panel.epochs.isEnabled()
    r = sig.args[0]
    qtbot.waitUntil(lambda: not tab.is_training(), timeout=10000)
    assert held >= 1 and r.n_held == held and r.n_tune == 24 - held and r.model_path.is_file()
    assert window.state.model is base, "nothing changes before the user decides"
    assert panel.keep_btn.isVisible() and "→" in panel.result.text() and "MNIST test" in panel.result.text()
    assert f"your {held} held-out digit" in tab.result_label.text()  # the headline says what its % is of
    if decision == "keep":
        panel.keep_btn.click()
        assert window.state.model.kind == "finetuned" and window.state.model.path == r.model_path
        assert "fine-tuned" in window.model_label.text()
    else:
        panel.discard_btn.click()
        assert window.state.model is base and not r.model_path.exists()
    assert not panel.keep_btn.isVisible()


def _stop_in_epoch_one_with_esc(qtbot, window):
    """Start a long run, press Esc (to the focused widget, as a keyboard does) once the first batch shows."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    tab = window.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(50)
    tab.batch_size.setValue(16)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
        qtbot.waitUntil(lambda: bool(tab.batch_x), timeout=60000)
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key_Escape)
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    return blocker.args[0]


def test_esc_in_epoch_one_keeps_the_better_active_model_unless_the_user_chooses(qtbot, window):
    import re

    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    default = window.state.model
    assert default.kind == "default" and default.test_accuracy > 0.98
    result = _stop_in_epoch_one_with_esc(qtbot, window)
    assert result.stopped and result.best_epoch == 1 and result.test_accuracy < default.test_accuracy
    assert window.state.model is default, "a stopped, worse run does not replace the active model"
    assert not window.settings.value("active_model/path"), "nor is it remembered for the next start"
    assert "stays" in tab.result_label.text() and tab.use_result_btn.isVisible()
    # the bar and the labels agree: both say where it stopped, and no ETA is left
    step, steps = (int(v) for v in re.fullmatch(r"Stopped at step (\d+)/(\d+)", tab.step_label.text()).groups())
    assert tab.epoch_label.text() == "Epoch 1/50" and tab.progress.value() == int(step / steps * 1000) < tab.progress.maximum()
    assert tab.progress.text().startswith("Stopped at") and "ETA" not in tab.time_label.text() and "stopped" in tab.time_label.text()
    # the user can still choose it
    tab.use_result_btn.click()
    assert window.state.model.kind == "trained" and window.state.model.path == result.model_path
    assert tab.result_label.text() == (f"Test accuracy: {result.test_accuracy:.2%} — best epoch {result.best_epoch} "
                                       "(stopped; now the active model)")
    assert window.settings.value("active_model/path") == str(result.model_path)
    assert not tab.use_result_btn.isVisible()


def test_a_stopped_run_that_beats_the_active_model_becomes_active(qtbot, window):
    from mnist_gui.views.state import ActiveModel

    default = window.state.model
    window.state.set_model(ActiveModel(default.predictor, "file", default.path, 0.05))  # a poor model is active
    result = _stop_in_epoch_one_with_esc(qtbot, window)
    assert result.stopped and result.test_accuracy > 0.05
    assert window.state.model.kind == "trained" and window.state.model.path == result.model_path
    assert not window.train_tab.use_result_btn.isVisible()


def test_a_finished_run_shows_a_full_bar_and_done(qtbot, window):
    tab = window.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(1)
    tab.limit.setValue(400)  # fewer training images; the test set stays whole
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    result, data = blocker.args[0], window.state.data
    assert len(data.x_test) == 500
    # Its test accuracy is the one every other view measures: on all the test images, not the first 400.
    whole = (result.predictor.predict(data.x_test / np.float32(255)).argmax(1) == data.y_test).mean()
    assert result.test_accuracy == pytest.approx(whole, abs=1e-6)
    assert tab.progress.value() == tab.progress.maximum() and tab.progress.text().startswith("Done")
    assert tab.epoch_label.text() == "Epoch 1/1" and "ETA" not in tab.time_label.text()
    steps = tab.step_label.text().removeprefix("Step ").split("/")
    assert steps[0] == steps[1]
