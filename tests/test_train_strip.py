"""The live test strip: 30 fixed test digits (three per class), their answers coloured right/wrong, updated at
each epoch end while a real (tiny) training runs; all 30 shown at any width (one row at 1366 px, more rows when narrow)."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.ml.data import Mnist
from mnist_gui.views.train.test_strip import MIN_TILE, PAD, RIGHT, TILE, WRONG, LiveTestStrip, strip_indices, strip_layout
from tests.gui_helpers import open_window


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


def _frames(tile: int, step: int, per_row: int, n: int = 30) -> list[tuple[int, int]]:
    """Each tile's frame (1 px around its cell) as an (x0, x1) column span, as ``tile_rect`` places them."""
    return [(2 + (i % per_row) * step - 1, 2 + (i % per_row) * step + tile) for i in range(n)]


@pytest.mark.parametrize("width", [914, 1468, 572, 400])
def test_neighbouring_frames_never_touch(width):
    """914 px: the strip in a 1366×768 window — one row, every frame ≥ 2 px clear of the next, all inside."""
    tile, step, per_row = strip_layout(width)
    spans = _frames(tile, step, per_row)
    for (_, right), (left, _) in zip(spans, spans[1:]):
        if left > right:  # same row
            assert left - right - 1 >= 2, (width, tile, step)
    assert max(x1 for _, x1 in spans) < width and min(x0 for x0, _ in spans) >= 0
    assert tile >= MIN_TILE
    if width == 914:
        assert per_row == 30


def test_digits_sit_inside_their_cells_with_a_margin(qtbot):
    """Images inked to their very edges are drawn PAD px inside their cells: the cell's edge rows and columns stay
    plain paper (white, light theme), its inside is ink, and the gap to the next frame is neither frame colour."""
    strip = LiveTestStrip()
    qtbot.addWidget(strip)
    strip.resize(914, strip.sizeHint().height())
    strip.show()
    strip.set_data(np.full((30, 28, 28), 255, np.uint8), np.repeat(np.arange(10), 3))
    strip.update_predictor(0, _Fake(strip.labels))
    img = strip.grab().toImage()
    for i in range(30):
        r = strip.tile_rect(i)
        edge = [(x, r.top() + k) for x in range(r.left(), r.right() + 1) for k in range(PAD)]
        edge += [(x, r.bottom() - k) for x in range(r.left(), r.right() + 1) for k in range(PAD)]
        edge += [(r.left() + k, y) for y in range(r.top(), r.bottom() + 1) for k in range(PAD)]
        edge += [(r.right() - k, y) for y in range(r.top(), r.bottom() + 1) for k in range(PAD)]
        assert all(img.pixelColor(x, y).getRgb()[:3] == (255, 255, 255) for x, y in edge), i
        assert img.pixelColor(r.left() + PAD, r.top() + PAD).getRgb()[:3] == (0, 0, 0), i
        gap = img.pixelColor(r.right() + 2, r.center().y())  # between this frame and the next: the window, no frame
        assert gap.getRgb()[:3] not in {RIGHT.getRgb()[:3], WRONG.getRgb()[:3]}, i


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
    _assert_frames(strip, range(4))


def _assert_frames(strip: LiveTestStrip, tiles) -> None:
    """Each tile's frame (1 px above its image) is painted green (even tiles: right) or red (odd: wrong)."""
    img = strip.grab().toImage()
    for i in tiles:
        r = strip.tile_rect(i)
        color = img.pixelColor(r.center().x(), r.top() - 1)
        want = RIGHT if i % 2 == 0 else WRONG
        assert (color.red(), color.green(), color.blue()) == (want.red(), want.green(), want.blue()), i


def _all_inside(strip: LiveTestStrip) -> None:
    """Every tile, its frame and its answer (the 20 px below it) lie inside the widget."""
    area = strip.rect()
    for i in range(30):
        r = strip.tile_rect(i)
        assert area.contains(r.adjusted(-1, -1, 1, 21)), (i, r, area, strip.width())


def test_all_thirty_tiles_fit_at_every_width(qtbot, mnist):
    strip = LiveTestStrip()
    qtbot.addWidget(strip)
    strip.set_data(mnist.x_test, mnist.y_test)
    strip.show()
    rows_seen = set()
    for width in range(strip.minimumSizeHint().width(), 2001, 7):
        strip.resize(width, strip.height())
        _all_inside(strip)
        assert strip.tile_rect(0).width() >= MIN_TILE and strip.tile_rect(0).width() <= TILE
        rows_seen.add(len({strip.tile_rect(i).top() for i in range(30)}))
    assert rows_seen == {1, 2, 3}  # one row when wide enough, more rows (never fewer tiles) when narrow
    strip.resize(1330, strip.height())
    assert len({strip.tile_rect(i).top() for i in range(30)}) == 1 and strip.tile_rect(0).width() == TILE


@pytest.mark.parametrize("size", [(1366, 768), (1024, 700)])
def test_every_tile_is_shown_in_the_window(qtbot, mnist, size):
    """The strip at the width the Train tab gives it in a 1366-wide window (one row) and a 1024-wide one (two rows)."""
    w = open_window(qtbot, *size)
    tab = w.train_tab
    tab.jobs.need_tensorflow = lambda: False  # this test is about layout: no TensorFlow import
    w.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.strip.isVisible() and tab.strip.images is not None)
    strip = tab.strip
    _all_inside(strip)
    rows = len({strip.tile_rect(i).top() for i in range(30)})
    assert rows == (1 if size[0] == 1366 else 2), (rows, strip.width())
    assert strip.visibleRegion().boundingRect().contains(strip.rect())  # nothing of it is clipped by its parents
    strip.update_predictor(0, _Fake(strip.labels))
    _assert_frames(strip, (0, 1, 28, 29))  # the last tiles are painted, not only placed
    w.close()


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
