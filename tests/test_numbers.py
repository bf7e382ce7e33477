"""Numbers on the Draw tab (issue 13) and both architectures' answers (issue 12): splitting a drawing made
with mouse events on the real canvas, the number display, teaching a number, the compare model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from mnist_gui.ml.inference import load_default_predictor
from mnist_gui.views.canvas import DrawCanvas
from mnist_gui.views.draw_tab import DrawTab
from mnist_gui.views.state import ActiveModel, AppState
from tests.gui_helpers import draw_polyline

ONE = [(0.5, 0.25), (0.5, 0.75)]
SEVEN = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]


def moved(points, dx, dy=0.0, k=1.0):
    """``points`` scaled by ``k`` about (0.5, 0.5) and moved by (dx, dy) in square units."""
    return [((x - 0.5) * k + 0.5 + dx, (y - 0.5) * k + 0.5 + dy) for x, y in points]


class Stub:
    """A predictor that always reads ``digit`` (with ``conf``), of architecture ``arch``."""

    def __init__(self, arch: str, digit: int, conf: float = 0.9) -> None:
        self.arch, self.digit, self.conf = arch, digit, conf

    def predict(self, x: np.ndarray) -> np.ndarray:
        p = np.full((len(x), 10), (1 - self.conf) / 9, np.float32)
        p[:, self.digit] = self.conf
        return p


@pytest.fixture
def canvas(qtbot):
    c = DrawCanvas()
    qtbot.addWidget(c)
    c.resize(900, 450)
    c.show()
    c.brush_width = 0.05
    return c


@pytest.fixture
def tab(qtbot, tmp_path):
    from mnist_gui.ml.my_digits import MyDigits

    state = AppState()
    state.my_digits = MyDigits(tmp_path / "my_digits.npz")
    t = DrawTab(state)
    qtbot.addWidget(t)
    t.resize(1300, 700)
    t.show()
    t.canvas.brush_width = 0.05
    state.set_model(ActiveModel(load_default_predictor(), "default", None, None))
    return t


def boxes(c):
    return [d.box for d in c.digit_inputs()]


def test_blank_canvas_has_no_digits(canvas):
    assert canvas.to_mnist_digits() == []


def test_two_stroke_four_is_one_digit(canvas):
    draw_polyline(canvas, [(0.42, 0.2), (0.32, 0.55), (0.62, 0.55)])
    draw_polyline(canvas, [(0.55, 0.35), (0.55, 0.8)])
    xs = canvas.to_mnist_digits()
    assert len(xs) == 1 and xs[0].shape == (28, 28) and xs[0].dtype == np.float32
    assert np.abs(xs[0] - canvas.to_mnist()).max() < 1e-6, "a single digit reads exactly as the whole drawing"


def test_eleven_with_a_tight_gap_is_two_digits_in_reading_order(canvas):
    gap = 0.05 * 2.0  # centre lines two pen widths apart: the ink is one pen width apart
    draw_polyline(canvas, moved(ONE, 0.1 + gap))  # the right one first
    draw_polyline(canvas, moved(ONE, 0.1))
    b = boxes(canvas)
    assert len(b) == 2 and b[0][0] < b[1][0], b
    xs = canvas.to_mnist_digits()
    assert all(x.shape == (28, 28) and 0 <= x.min() and x.max() <= 1 for x in xs)


def test_digits_left_and_right_of_the_centre_square_count(canvas):
    draw_polyline(canvas, moved(SEVEN, -0.45))  # x < 0: outside the old square canvas
    draw_polyline(canvas, moved(ONE, 0.0))
    draw_polyline(canvas, moved(SEVEN, 0.45))  # x > 1
    p = load_default_predictor()
    xs = canvas.to_mnist_digits()
    assert len(xs) == 3
    assert "".join(str(d) for d in p.predict(np.stack(xs)).argmax(1)) == "717"


def test_eraser_cutting_a_digit_in_two(canvas):
    draw_polyline(canvas, [(0.42, 0.25), (0.42, 0.75), (0.58, 0.75), (0.58, 0.25)])  # a U: one group
    assert len(canvas.to_mnist_digits()) == 1
    canvas.eraser = True
    draw_polyline(canvas, [(0.5, 0.6), (0.5, 0.9)])  # cut the bottom bar
    assert len(canvas.to_mnist_digits()) == 2
    canvas.undo()
    assert len(canvas.to_mnist_digits()) == 1


def test_number_display_boxes_and_selection(qtbot, tab):
    c = tab.canvas
    for dx in (-0.4, 0.0, 0.4):
        draw_polyline(c, moved(SEVEN, dx, k=0.7))
    qtbot.waitUntil(lambda: tab.reading is not None and len(tab.digits) == 3, timeout=3000)
    assert tab.digit_label.text() == "777"
    assert len(c.overlay) == 3 and all(o.text.startswith("7 ") for o in c.overlay)
    assert sum(o.selected for o in c.overlay) == 1
    buttons = [b for b in tab.answer.digit_btns if b.isVisible()]
    assert len(buttons) == 3 and all("%" in b.text() for b in buttons)
    buttons[2].click()
    assert tab.selected == 2 and c.overlay[2].selected
    assert np.array_equal(tab.state.drawing, tab.digits[2].x), "the Inside view gets the selected digit's input"
    assert "Digit 3 of 3" in tab.conf_label.text()
    assert "digit 3 of 3" in tab.model_input.title()  # the 20×20 and 28×28 tiles show that digit, and say so
    assert tab.teach.number_edit.isVisible() and not tab.teach_btns[0].isVisible()


def test_single_digit_looks_as_before(qtbot, tab):
    with qtbot.waitSignal(tab.predicted, timeout=3000) as blocker:
        draw_polyline(tab.canvas, SEVEN)
    assert blocker.args[0] == 7 and tab.digit_label.text() == "7"
    assert tab.canvas.overlay == [] and not any(b.isVisible() for b in tab.answer.digit_btns)
    assert "confident" in tab.conf_label.text() or "Not sure" in tab.conf_label.text()
    assert tab.teach_btns[0].isVisible() and not tab.teach.number_edit.isVisible()
    assert tab.model_input.title() == "What the model sees"  # one digit: no "digit 1 of 1"
    assert tab.state.drawing is not None and tab.state.drawing.shape == (28, 28)
    tab.clear()
    qtbot.waitUntil(lambda: tab.state.drawing is None, timeout=3000)


def test_teach_a_number(qtbot, tab):
    c = tab.canvas
    for dx in (-0.4, 0.0, 0.4):
        draw_polyline(c, moved(SEVEN if dx else ONE, dx, k=0.7))
    qtbot.waitUntil(lambda: len(tab.digits) == 3, timeout=3000)
    inputs = [d.x.copy() for d in tab.digits]
    assert not tab.add_number_to_my_digits("71"), "the count must match"
    assert len(tab.state.my_digits) == 0
    with qtbot.waitSignal(tab.state.myDigitsChanged, timeout=1000):
        tab.teach.number_edit.setFocus()
        qtbot.keyClicks(tab.teach.number_edit, "717")
        qtbot.keyClick(tab.teach.number_edit, Qt.Key_Return)
    coll = tab.state.my_digits
    assert coll.y.tolist() == [7, 1, 7] and c.is_empty()
    for stored, x in zip(coll.x, inputs):
        assert np.abs(stored / 255 - x).max() < 0.01
    for strokes in coll.strokes:  # each digit's strokes, moved into the unit square
        pts = np.concatenate([s.points for s in strokes])
        assert len(strokes) == 1 and pts.min() >= 0 and pts.max() <= 1
    c.undo()
    assert len(c.strokes) == 3, "the number comes back with undo"


def test_both_answers_and_the_disagreement_note(qtbot, tab):
    state = tab.state
    state.set_model(ActiveModel(Stub("mlp", 7), "default", None, None))
    draw_polyline(tab.canvas, SEVEN)
    qtbot.waitUntil(lambda: tab.reading is not None, timeout=3000)
    assert tab.answer.compare_label.text() == "" and not tab.answer.disagree_label.isVisible()
    state.set_compare_model(ActiveModel(Stub("cnn", 1, 0.8), "default", None, None))
    assert tab.digit_label.text() == "7" and tab.answer.compare_label.text() == "1"
    assert "CNN" in tab.answer.compare_caption.text() and "80%" in tab.answer.compare_caption.text()
    assert tab.answer.disagree_label.isVisible() and "disagree" in tab.answer.disagree_label.text()
    state.set_compare_model(ActiveModel(Stub("cnn", 7), "default", None, None))
    assert tab.answer.compare_label.text() == "7" and not tab.answer.disagree_label.isVisible()
    state.set_compare_model(None)
    assert tab.answer.compare_label.text() == ""


def test_prediction_is_batched_once_per_update(qtbot, tab):
    calls = []
    stub = Stub("mlp", 3)
    real = stub.predict
    stub.predict = lambda x: (calls.append(len(x)), real(x))[1]
    tab.state.set_model(ActiveModel(stub, "default", None, None))
    for dx in (-0.3, 0.0, 0.3):
        draw_polyline(tab.canvas, moved(ONE, dx, k=0.7))
    qtbot.waitUntil(lambda: len(tab.digits) == 3, timeout=3000)
    calls.clear()
    tab.update_prediction()
    assert calls == [3]


def test_opened_image_of_a_number(qtbot, tab, mnist):
    idx = [int(np.flatnonzero(mnist.y_test == d)[0]) for d in (1, 9, 8, 4)]
    img = np.hstack([np.pad(mnist.x_test[i], ((0, 0), (4, 4))) for i in idx])
    tab.show_digit(np.kron(img, np.ones((4, 4), np.uint8)))
    assert len(tab.digits) == 4
    assert tab.digit_label.text() == "1984"


def test_strokes_follow_a_resize(qtbot, canvas):
    for dx in (-0.4, 0.0, 0.4):
        draw_polyline(canvas, moved(SEVEN if dx else ONE, dx, k=0.7))
    before = canvas.to_mnist_digits()
    canvas.resize(1200, 520)
    qtbot.waitUntil(lambda: canvas.width() == 1200)
    after = canvas.to_mnist_digits()
    assert len(after) == 3
    assert max(float(np.abs(a - b).mean()) for a, b in zip(before, after)) < 0.05


def test_clicking_a_digit_tag_selects_it_without_drawing(qtbot, tab):
    from PySide6.QtTest import QTest

    c = tab.canvas
    for dx in (-0.4, 0.0, 0.4):
        draw_polyline(c, moved(SEVEN, dx, k=0.7))
    qtbot.waitUntil(lambda: len(c.overlay) == 3, timeout=3000)
    n = len(c.strokes)
    tag = c.tag_rects()[1].center().toPoint()
    with qtbot.waitSignal(c.groupClicked, timeout=1000) as blocker:
        QTest.mouseClick(c, Qt.LeftButton, Qt.NoModifier, tag)
    assert blocker.args == [1] and tab.selected == 1 and len(c.strokes) == n


def test_digit_keys_type_the_number_when_several_digits_are_drawn(qtbot, tab):
    c = tab.canvas
    for dx in (-0.4, 0.4):
        draw_polyline(c, moved(SEVEN if dx < 0 else ONE, dx, k=0.7))
    qtbot.waitUntil(lambda: len(tab.digits) == 2, timeout=3000)
    tab.activateWindow()
    c.setFocus()
    qtbot.keyClick(c, Qt.Key_7)  # starts the number in the field instead of labelling the whole drawing
    assert tab.teach.number_edit.text() == "7" and len(tab.state.my_digits) == 0
    qtbot.keyClick(tab.teach.number_edit, Qt.Key_1)
    qtbot.keyClick(tab.teach.number_edit, Qt.Key_Return)
    assert tab.state.my_digits.y.tolist() == [7, 1]


def test_unsure_digits_and_touching_digits_are_marked(qtbot, tab):
    from mnist_gui.views.draw.answer_panel import Reading

    tab.state.set_model(ActiveModel(Stub("mlp", 4, 0.4), "default", None, None))
    for dx in (-0.4, 0.4):
        draw_polyline(tab.canvas, moved(ONE, dx, k=0.7))
    qtbot.waitUntil(lambda: len(tab.digits) == 2, timeout=3000)
    visible = [b for b in tab.answer.digit_btns if b.isVisible()]
    assert all(b.text().startswith("4?") for b in visible) and all(o.low for o in tab.canvas.overlay)
    assert "not sure" in tab.conf_label.text()
    probs = Stub("mlp", 8).predict(np.zeros((2, 28, 28)))
    tab.answer.show_reading(Reading(probs, None, "MLP", "", (False, True)), 0)
    assert "digit 2 looks like two digits touching" in tab.conf_label.text()
    tab.answer.show_reading(Reading(probs[:1], None, "MLP", "", (True,)), 0)
    assert "two digits touching" in tab.conf_label.text()
