"""The live test strip: 30 fixed test digits (three per class), their answers coloured right/wrong, updated at
each epoch end while a real (tiny) training runs."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.ml.data import Mnist
from mnist_gui.views.train.test_strip import RIGHT, TILE, WRONG, LiveTestStrip, strip_indices


class _Fake:
    """Answers the true label for even tiles and (label + 1) % 10 for odd ones."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels

    def predict(self, x: np.ndarray) -> np.ndarray:
        answers = np.where(np.arange(len(x)) % 2 == 0, self.labels, (self.labels + 1) % 10)
        return np.eye(10, dtype=np.float32)[answers]


def test_indices_are_three_of_each_digit(mnist):
    idx = strip_indices(mnist.y_test)
    assert len(idx) == 30 and list(np.bincount(mnist.y_test[idx], minlength=10)) == [3] * 10


def test_right_answers_are_green_and_wrong_ones_red(qtbot, mnist):
    strip = LiveTestStrip()
    qtbot.addWidget(strip)
    strip.resize(30 * (TILE + 14) + 10, strip.sizeHint().height())
    strip.show()
    strip.set_data(mnist.x_test, mnist.y_test)
    assert strip.correct() is None
    strip.update_predictor(0, _Fake(strip.labels))
    ok = strip.correct()
    assert ok is not None and ok[::2].all() and not ok[1::2].any()
    img = strip.grab().toImage()
    step = max(TILE + 2, min(TILE + 14, (strip.width() - 4) // 30))
    for i in (0, 1, 2, 3):
        x = 2 + i * step
        color = img.pixelColor(x + TILE // 2, 17)  # the tile's frame
        want = RIGHT if i % 2 == 0 else WRONG
        assert (color.red(), color.green(), color.blue()) == (want.red(), want.green(), want.blue()), i


@pytest.fixture
def window(tf_window, mnist):
    tf_window.state.set_data(Mnist(mnist.x_train[:1200], mnist.y_train[:1200], mnist.x_test[:300], mnist.y_test[:300], "tiny"))
    yield tf_window
    tf_window.close()


def test_the_strip_updates_at_each_epoch_end_while_training(qtbot, window):
    tab = window.train_tab
    window.tabs.setCurrentWidget(tab)
    tab.apply_preset("notebook")
    tab.epochs.setValue(2)
    snapshots, weights = [], []
    tab.jobs.snapshot.connect(lambda epoch, p: snapshots.append((epoch, p, tab.strip.epoch)))
    window.state.trainingWeights.connect(lambda epoch, k: weights.append((epoch, k.shape)))
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    assert snapshots, "no epoch-end snapshot reached the Train tab"
    assert [e for e, _, _ in snapshots] == sorted({e for e, _, _ in snapshots}) and snapshots[0][0] == 0
    assert all(shown == e for e, _, shown in snapshots), "the strip showed each snapshot as it arrived"
    assert weights and weights[0][1] == (784, 512)  # the first Dense kernel, for the Inside view
    # the strip ends on the final (best) model's answers
    result = blocker.args[0]
    want = np.argmax(result.predictor.predict(tab.strip.images / 255.0), axis=1)
    assert tab.strip.epoch == -1 and np.array_equal(tab.strip.answers, want)
    assert np.array_equal(tab.strip.correct(), want == tab.strip.labels)
