"""The started-window wait (``mnist_gui.startup``), against a stand-in window: no app, no TensorFlow."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import QTimer

from mnist_gui.startup import is_started, missing, wait_until_started


class FakeState:
    def __init__(self, lazy_tf: bool = True) -> None:
        self.model = self.data = None
        self.tf_ready = False
        self.tf_requests = 0
        if lazy_tf:
            self.request_tensorflow = self._request

    def _request(self) -> None:
        self.tf_requests += 1


def fake_window(lazy_tf: bool = True) -> SimpleNamespace:
    return SimpleNamespace(state=FakeState(lazy_tf), last_error="")


def test_started_means_model_and_data_and_tensorflow_only_when_needed():
    w = fake_window()
    assert missing(w) == ["the default model", "MNIST"] and not is_started(w)
    w.state.model = w.state.data = object()
    assert is_started(w) and w.state.tf_requests == 0, "TensorFlow is not asked for unless needed"
    assert not is_started(w, need_tf=True) and w.state.tf_requests == 1, "need_tf asks for the import"
    w.state.tf_ready = True
    assert is_started(w, need_tf=True) and w.state.tf_requests == 1


def test_need_tf_works_while_tensorflow_is_imported_at_every_start():
    w = fake_window(lazy_tf=False)  # no request_tensorflow: nothing to ask, only to wait for
    w.state.model = w.state.data = object()
    assert missing(w, need_tf=True) == ["TensorFlow"]


def test_wait_returns_once_started(qapp):
    w = fake_window()
    QTimer.singleShot(0, lambda: setattr(w.state, "model", object()))
    QTimer.singleShot(0, lambda: setattr(w.state, "data", object()))
    QTimer.singleShot(0, lambda: setattr(w.state, "tf_ready", True))
    assert wait_until_started(w, need_tf=True, timeout_s=600) is None
    assert w.state.tf_requests >= 1


def test_wait_returns_the_error_a_failed_start_shows(qapp):
    w = fake_window()
    QTimer.singleShot(0, lambda: setattr(w, "last_error", "MNIST could not be loaded"))
    assert wait_until_started(w, timeout_s=600) == "MNIST could not be loaded"


def test_wait_that_times_out_says_what_is_missing(qapp):
    w = fake_window()
    w.state.model = object()
    error = wait_until_started(w, need_tf=True, timeout_s=0)
    assert error is not None and "MNIST, TensorFlow" in error and "default model" not in error
