"""The prediction cache on AppState: per model and split, off the GUI thread, dropped when what it was
computed from changes."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.ml.data import Mnist
from mnist_gui.ml.my_digits import MyDigits
from mnist_gui.views.state import ActiveModel, AppState
from mnist_gui.views.threads import running_threads


class CountPredictor:
    """Reads an image as (its number of pixels above one half) modulo ``mod``: cheap and exactly predictable."""

    def __init__(self, mod: int, arch: str = "mlp") -> None:
        self.mod, self.arch = mod, arch

    def classes_of(self, x_uint8: np.ndarray) -> np.ndarray:
        return (np.asarray(x_uint8).reshape(len(x_uint8), -1) >= 128).sum(axis=1) % self.mod

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch, np.float32)
        if x.ndim == 2:
            x = x[None]
        counts = (x.reshape(len(x), -1) > 0.5).sum(axis=1) % self.mod
        out = np.full((len(x), 10), 0.01 / 9, np.float32)
        out[np.arange(len(x)), counts] = 0.99
        return out


@pytest.fixture
def state(qtbot, small_mnist: Mnist, tmp_path):
    s = AppState()
    s.set_data(small_mnist)
    s.set_my_digits(MyDigits(tmp_path / "my_digits.npz"))
    yield s
    # no worker thread left behind: the job done and its QThread finished
    qtbot.waitUntil(lambda: not s.predictions.busy() and not running_threads(), timeout=20000)


def _model(p: CountPredictor) -> ActiveModel:
    return ActiveModel(p, "file", None, None)


def _predicted(qtbot, state: AppState, p: CountPredictor, split: str) -> np.ndarray:
    with qtbot.waitSignal(state.predictions.ready, timeout=20000, check_params_cb=lambda s: s == split):
        state.predictions.request(p, split)
    out = state.predictions.get(p, split)
    assert out is not None
    return out


def test_predicts_a_split_off_the_gui_thread_and_keeps_it(qtbot, state, small_mnist):
    a = CountPredictor(10)
    state.set_model(_model(a))
    assert state.predictions.get(a, "test") is None
    out = _predicted(qtbot, state, a, "test")
    assert (out == a.classes_of(small_mnist.x_test)).all()
    state.predictions.request(a, "test")  # stored: no new job
    assert not state.predictions.busy()


def test_a_model_change_drops_the_old_models_predictions(qtbot, state):
    a, b = CountPredictor(10), CountPredictor(5)
    state.set_model(_model(a))
    _predicted(qtbot, state, a, "test")
    state.set_model(_model(b))
    assert state.predictions.get(a, "test") is None and state.predictions.get(b, "test") is None


def test_the_compare_model_keeps_its_predictions_until_replaced(qtbot, state):
    a, b = CountPredictor(10), CountPredictor(5, "cnn")
    state.set_model(_model(a))
    state.set_compare_model(_model(b))
    _predicted(qtbot, state, a, "test")
    _predicted(qtbot, state, b, "test")
    state.set_compare_model(None)
    assert state.predictions.get(b, "test") is None and state.predictions.get(a, "test") is not None


def test_new_data_drops_train_and_test_and_late_results(qtbot, state, small_mnist):
    a = CountPredictor(10)
    state.set_model(_model(a))
    _predicted(qtbot, state, a, "train")
    state.predictions.request(a, "test")
    state.set_data(Mnist(small_mnist.x_train[:50], small_mnist.y_train[:50], small_mnist.x_test[:20],
                         small_mnist.y_test[:20], "tiny"))  # while the test job may still run
    assert state.predictions.get(a, "train") is None
    qtbot.waitUntil(lambda: not state.predictions.busy(), timeout=20000)
    assert state.predictions.get(a, "test") is None  # computed on the old images: dropped
    assert len(_predicted(qtbot, state, a, "test")) == 20


def test_my_digits_changes_drop_only_my_digits(qtbot, state, small_mnist):
    a = CountPredictor(10)
    state.set_model(_model(a))
    state.my_digits.add(small_mnist.x_test[0], int(small_mnist.y_test[0]))
    state.notify_my_digits_changed()
    first = state.predictions.predict_now(a, "mine")
    assert first is not None and len(first) == 1
    _predicted(qtbot, state, a, "test")
    state.my_digits.add(small_mnist.x_test[1], int(small_mnist.y_test[1]))
    state.notify_my_digits_changed()
    assert state.predictions.get(a, "mine") is None and state.predictions.get(a, "test") is not None
    assert len(state.predictions.predict_now(a, "mine")) == 2


def test_a_failed_job_is_reported_and_remembered_until_asked_again(qtbot, state, small_mnist):
    from tests.test_dataset_model_change import SplitFailingPredictor

    bad, good = SplitFailingPredictor(10), CountPredictor(5, "cnn")
    state.set_model(_model(bad))
    state.set_compare_model(_model(good))
    with qtbot.waitSignal(state.predictions.failed, timeout=20000) as sig:
        state.predictions.request(bad, "test")
        state.predictions.request(good, "test")  # queued behind the failing job: still runs
    assert sig.args[:2] == [bad, "test"] and "out of memory" in sig.args[2]
    assert "out of memory" in state.predictions.error(bad, "test") and state.predictions.get(bad, "test") is None
    assert (_predicted(qtbot, state, good, "test") == good.classes_of(small_mnist.x_test)).all()
    with qtbot.waitSignal(state.predictions.failed, timeout=20000):
        state.predictions.request(bad, "test")  # asked again: tried again
        assert state.predictions.error(bad, "test") is None
    state.predictions.invalidate("test")  # other images: the failure no longer says anything about them
    assert state.predictions.error(bad, "test") is None
