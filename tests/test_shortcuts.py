"""README's keyboard shortcuts, used as a person does: keys sent to the window after drawing with the mouse,
with the focus wherever the app leaves it (no test sets it)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mnist_gui.ml.data import Mnist
from tests.gui_helpers import draw_polyline, open_window

SEVEN = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]


def press(qtbot, window, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.NoModifier) -> None:
    """A key press as the keyboard makes it: to the focused widget (the window if nothing has the focus)."""
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)


@pytest.fixture
def window(qtbot):
    w = open_window(qtbot)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    yield w
    from mnist_gui.startup import missing

    # Showing the Train tab asks for TensorFlow: let that import end rather than make the close wait for it.
    qtbot.waitUntil(lambda: not missing(w, idle=True), timeout=120000)
    w.close()


def test_ctrl_1_2_3_switch_tabs_from_the_start(qtbot, window):
    assert window.tabs.currentWidget() is window.draw_tab
    press(qtbot, window, Qt.Key_2, Qt.ControlModifier)
    assert window.tabs.currentWidget() is window.dataset_tab
    press(qtbot, window, Qt.Key_3, Qt.ControlModifier)
    assert window.tabs.currentWidget() is window.train_tab
    press(qtbot, window, Qt.Key_4, Qt.ControlModifier)
    assert window.tabs.currentWidget() is window.inside_tab
    press(qtbot, window, Qt.Key_1, Qt.ControlModifier)
    assert window.tabs.currentWidget() is window.draw_tab


def test_view_menu_actions_show_their_tab(window):
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    actions = {a.text().replace("&", ""): a for a in view.actions()}
    for name, tab in (("Train", window.train_tab), ("Dataset", window.dataset_tab), ("Inside", window.inside_tab),
                      ("Draw", window.draw_tab)):
        actions[name].trigger()
        assert window.tabs.currentWidget() is tab, name


def check_tool_keys(qtbot, window) -> int:
    """E and P switch eraser and pen, ] and [ change the brush by one and back; returns the brush size."""
    tab, canvas = window.draw_tab, window.draw_tab.canvas
    press(qtbot, window, Qt.Key_E)
    assert canvas.eraser and tab.eraser_btn.isChecked()
    press(qtbot, window, Qt.Key_P)
    assert not canvas.eraser and tab.pen_btn.isChecked()
    size = tab.brush.value()
    press(qtbot, window, Qt.Key_BracketRight)
    assert tab.brush.value() == size + 1
    press(qtbot, window, Qt.Key_BracketLeft)
    assert tab.brush.value() == size
    return size


def test_draw_keys_work_after_drawing_with_the_mouse(qtbot, window):
    tab, canvas = window.draw_tab, window.draw_tab.canvas
    draw_polyline(canvas, SEVEN)
    expected = canvas.to_mnist()
    press(qtbot, window, Qt.Key_7)  # teach: the drawing goes into My digits as a 7
    assert window.state.my_digits.y.tolist() == [7] and canvas.is_empty()
    assert np.abs(window.state.my_digits.x[0] / 255 - expected).max() < 0.01
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier)  # undo brings the drawing back
    assert len(canvas.strokes) == 1
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # redo: cleared again
    assert canvas.is_empty()
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    press(qtbot, window, Qt.Key_Y, Qt.ControlModifier)
    assert canvas.is_empty()
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    assert len(canvas.strokes) == 1
    press(qtbot, window, Qt.Key_Delete)
    assert canvas.is_empty()
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    assert not canvas.is_empty()
    size = check_tool_keys(qtbot, window)
    press(qtbot, window, Qt.Key_BracketLeft)
    assert tab.brush.value() == size - 1
    press(qtbot, window, Qt.Key_R)
    assert tab.true_label >= 0 and "True label" in tab.truth_label.text()


def test_draw_keys_work_after_clicking_a_tool_and_after_returning_to_the_tab(qtbot, window):
    tab, canvas = window.draw_tab, window.draw_tab.canvas
    press(qtbot, window, Qt.Key_R)  # the moment the window shows
    assert tab.true_label >= 0
    qtbot.mouseClick(tab.random_btn, Qt.LeftButton)  # a button now has the focus
    press(qtbot, window, Qt.Key_Delete)
    assert canvas.is_empty()
    press(qtbot, window, Qt.Key_2, Qt.ControlModifier)
    press(qtbot, window, Qt.Key_1, Qt.ControlModifier)
    draw_polyline(canvas, SEVEN)
    press(qtbot, window, Qt.Key_4)
    assert window.state.my_digits.y.tolist() == [4]


def test_dataset_keys_relabel_and_delete_my_digits(qtbot, window, mnist):
    coll = window.state.my_digits
    for i in range(3):
        coll.add(mnist.x_test[i], int(mnist.y_test[i]))
    window.state.notify_my_digits_changed()
    press(qtbot, window, Qt.Key_2, Qt.ControlModifier)
    tab = window.dataset_tab
    tab.split_box.setCurrentIndex(2)
    tab.select_index(1)
    press(qtbot, window, Qt.Key_0)
    assert coll.y.tolist() == [int(mnist.y_test[0]), 0, int(mnist.y_test[2])]
    press(qtbot, window, Qt.Key_Delete)
    assert len(coll) == 2 and tab.model.rowCount() == 2
    # a digit typed into the index box is an index, not a label
    qtbot.mouseClick(tab.jump.lineEdit(), Qt.LeftButton)
    tab.jump.lineEdit().selectAll()
    press(qtbot, window, Qt.Key_1)
    assert tab.jump.text().endswith("1") and len(coll) == 2 and coll.y[0] == mnist.y_test[0]


def test_window_wide_keys_from_the_draw_tab(qtbot, window):
    from mnist_gui.views.state import ActiveModel

    default = window.state.model
    window.state.set_model(ActiveModel(default.predictor, "file", default.path, None))
    press(qtbot, window, Qt.Key_D, Qt.ControlModifier)  # Ctrl+D: the default model again
    assert window.state.model is default
    press(qtbot, window, Qt.Key_T, Qt.ControlModifier | Qt.ShiftModifier)  # Ctrl+Shift+T: says why it cannot
    assert "Fine-tuning cannot start" in window.status_msg.text() and "your digits" in window.status_msg.text()
    assert not window.train_tab.is_training()


@pytest.fixture
def training_window(window, qtbot, mnist):
    from mnist_gui.startup import is_started

    qtbot.waitUntil(lambda: is_started(window, need_tf=True), timeout=120000)  # asks for TensorFlow, then waits
    window.state.set_data(Mnist(mnist.x_train[:1000], mnist.y_train[:1000], mnist.x_test[:200], mnist.y_test[:200], "tiny"))
    tab = window.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(100)
    tab.batch_size.setValue(16)
    return window


def test_ctrl_t_starts_training_from_the_draw_tab_and_esc_stops_it(qtbot, training_window):
    window, tab = training_window, training_window.train_tab
    draw_polyline(window.draw_tab.canvas, SEVEN)
    press(qtbot, window, Qt.Key_T, Qt.ControlModifier)
    assert tab.is_training() and window.tabs.currentWidget() is window.draw_tab
    qtbot.waitUntil(lambda: bool(tab.batch_x), timeout=60000)
    with qtbot.waitSignal(tab.trainingFinished, timeout=60000) as blocker:
        press(qtbot, window, Qt.Key_Escape)
    assert blocker.args[0].stopped
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    # Esc with nothing running is left to the widgets; Ctrl+T from the Dataset tab trains again
    press(qtbot, window, Qt.Key_Escape)
    press(qtbot, window, Qt.Key_2, Qt.ControlModifier)
    press(qtbot, window, Qt.Key_T, Qt.ControlModifier)
    assert tab.is_training()
    with qtbot.waitSignal(tab.trainingFinished, timeout=60000):
        press(qtbot, window, Qt.Key_Escape)
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)


ONE, SEVEN_RIGHT = [(0.1, 0.2), (0.1, 0.8)], [(0.5, 0.2), (0.8, 0.2), (0.6, 0.8)]


def draw_number(qtbot, tab) -> None:
    """A 1 and a 7 side by side: the teach row shows the number field."""
    draw_polyline(tab.canvas, ONE)
    draw_polyline(tab.canvas, SEVEN_RIGHT)
    qtbot.waitUntil(lambda: len(tab.digits) == 2 and tab.teach.number_edit.isVisible(), timeout=5000)


def test_number_field_types_the_number_and_leaves_the_draw_keys_to_the_tab(qtbot, window):
    """A digit key moves the focus into the number field; there digits, Backspace and Enter edit and submit
    the number, and every other Draw key still does what it does on the canvas."""
    tab, canvas, edit = window.draw_tab, window.draw_tab.canvas, window.draw_tab.teach.number_edit
    draw_number(qtbot, tab)
    draw_polyline(canvas, [(0.55, 0.5), (0.75, 0.5)])  # a cross-bar on the 7: a stroke to undo
    press(qtbot, window, Qt.Key_1)
    assert QApplication.focusWidget() is edit and edit.text() == "1"
    check_tool_keys(qtbot, window)
    why = tab.why.button.isChecked()
    press(qtbot, window, Qt.Key_W)
    assert tab.why.button.isChecked() != why
    press(qtbot, window, Qt.Key_W)
    assert tab.why.button.isChecked() == why
    assert QApplication.focusWidget() is edit and len(canvas.strokes) == 3
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier)  # undoes the stroke, not the typed text
    assert len(canvas.strokes) == 2 and edit.text() == "1"
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(canvas.strokes) == 3
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    press(qtbot, window, Qt.Key_Y, Qt.ControlModifier)
    assert len(canvas.strokes) == 3 and edit.text() == "1"
    assert QApplication.focusWidget() is edit
    press(qtbot, window, Qt.Key_9)  # typing and Backspace edit the number
    press(qtbot, window, Qt.Key_Backspace)
    press(qtbot, window, Qt.Key_7)
    assert edit.text() == "17" and len(canvas.strokes) == 3
    press(qtbot, window, Qt.Key_Return)  # Enter adds the number
    assert window.state.my_digits.y.tolist() == [1, 7] and canvas.is_empty() and edit.text() == ""


def test_number_field_delete_clears_the_drawing_and_esc_goes_back_to_the_canvas(qtbot, window):
    tab, canvas, edit = window.draw_tab, window.draw_tab.canvas, window.draw_tab.teach.number_edit
    draw_number(qtbot, tab)
    press(qtbot, window, Qt.Key_2)
    assert QApplication.focusWidget() is edit and edit.text() == "2"
    press(qtbot, window, Qt.Key_Escape)  # Esc drops the typed number and gives the keys back to the drawing
    assert edit.text() == "" and QApplication.focusWidget() is canvas and len(canvas.strokes) == 2
    press(qtbot, window, Qt.Key_1)
    assert QApplication.focusWidget() is edit and edit.text() == "1"
    press(qtbot, window, Qt.Key_Delete)  # Delete clears the drawing (Backspace edits the number) and its number
    assert canvas.is_empty() and edit.text() == ""
    qtbot.waitUntil(lambda: not edit.isVisible(), timeout=5000)
    press(qtbot, window, Qt.Key_Z, Qt.ControlModifier)
    assert len(canvas.strokes) == 2
    assert not window.state.my_digits.y.tolist()
