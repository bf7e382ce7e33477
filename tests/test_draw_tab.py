"""The Draw tab and main window: drawing, undo/redo, normalisation, prediction, images, start-up."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from mnist_gui.app import create_window
from mnist_gui.ml.preprocess import normalize_digit
from tests.gui_helpers import draw_polyline, open_window

SEVEN = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]


@pytest.fixture
def window(qtbot):
    w = open_window(qtbot)
    yield w
    w.close()


def test_canvas_public_api(window):
    c = window.findChild(type(window.draw_tab.canvas), "drawCanvas")
    assert c is window.draw_tab.canvas
    assert c.to_mnist().shape == (28, 28) and c.to_mnist().max() == 0
    draw_polyline(c, SEVEN)
    x = c.to_mnist()
    assert x.dtype == np.float32 and x.shape == (28, 28) and 0 <= x.min() and x.max() <= 1.0 and x.sum() > 20
    c.clear()
    assert c.to_mnist().sum() == 0


def test_drawing_predicts_live(qtbot, window):
    tab = window.draw_tab
    assert tab.last_probs is None and "Draw a digit" in tab.conf_label.text()
    with qtbot.waitSignal(tab.predicted, timeout=3000) as blocker:
        draw_polyline(tab.canvas, SEVEN)
    assert blocker.args[0] == 7
    assert tab.digit_label.text() == "7"


def test_undo_redo_clear_eraser(qtbot, window):
    c = window.draw_tab.canvas
    draw_polyline(c, [(0.5, 0.2), (0.5, 0.8)])
    one = c.to_mnist()
    draw_polyline(c, [(0.3, 0.5), (0.7, 0.5)])
    two = c.to_mnist()
    assert not np.allclose(one, two)
    c.undo()
    assert np.allclose(c.to_mnist(), one)
    c.redo()
    assert np.allclose(c.to_mnist(), two)
    c.clear()
    assert c.is_empty()
    c.undo()  # clearing is undoable
    assert np.allclose(c.to_mnist(), two)
    before = c.render_array().sum()
    window.draw_tab.eraser_btn.click()
    draw_polyline(c, [(0.2, 0.5), (0.8, 0.5)])
    assert c.render_array().sum() < before
    window.draw_tab.pen_btn.click()
    assert not c.eraser


def test_blank_canvas_gives_no_prediction(qtbot, window):
    tab = window.draw_tab
    draw_polyline(tab.canvas, SEVEN)
    qtbot.waitUntil(lambda: tab.last_probs is not None, timeout=3000)
    tab.clear_btn.click()
    qtbot.waitUntil(lambda: tab.last_probs is None, timeout=3000)
    assert tab.digit_label.text() == "–"


def test_a_dot_is_too_small_to_read_not_an_empty_canvas(qtbot, window):
    tab = window.draw_tab
    draw_polyline(tab.canvas, [(0.5, 0.5), (0.505, 0.505)], steps=2)
    qtbot.waitUntil(lambda: "Too small" in tab.conf_label.text(), timeout=3000)
    assert tab.last_probs is None and tab.digit_label.text() == "?"
    tab.clear_btn.click()
    qtbot.waitUntil(lambda: "Draw a digit" in tab.conf_label.text(), timeout=3000)


def test_small_corner_digit_normalises_like_large_centred_one(qtbot, window):
    c = window.draw_tab.canvas
    big = [(0.3 + 0.4 * (x - 0.3) / 0.4, y) for x, y in SEVEN]
    draw_polyline(c, big)
    a = c.to_mnist()
    c.clear()
    c.brush_width = 0.02
    small = [(0.05 + (x - 0.3) * 0.3, 0.05 + (y - 0.25) * 0.3) for x, y in SEVEN]
    draw_polyline(c, small)
    b = c.to_mnist()
    assert np.abs(a - b).mean() < 0.06, np.abs(a - b).mean()
    p = window.state.model.predictor
    assert p.predict(a[None]).argmax() == p.predict(b[None]).argmax() == 7


def test_normalize_digit_on_mnist_images_keeps_them_readable(mnist):
    from mnist_gui.ml.inference import load_default_predictor

    p = load_default_predictor()
    x = mnist.x_test[:300].astype(np.float32) / 255
    big = np.stack([normalize_digit(np.kron(im, np.ones((6, 6), np.float32))) for im in x])
    acc = (p.predict(big).argmax(1) == mnist.y_test[:300]).mean()
    assert acc > 0.95


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_open_image_both_polarities(qtbot, window, tmp_path, mnist, dark_on_light):
    img = np.kron(mnist.x_test[0], np.ones((8, 8), np.uint8))  # a 7, 224x224
    if dark_on_light:
        img = 255 - img
    path = tmp_path / "digit.png"
    Image.fromarray(img).save(path)
    window.open_image(str(path))  # decoded off the GUI thread: wait for it to reach the canvas
    tab = window.draw_tab
    qtbot.waitUntil(lambda: tab.last_probs is not None, timeout=10000)
    assert int(tab.last_probs.argmax()) == 7


@pytest.mark.parametrize("content", [b"not an image at all", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"])
def test_bad_image_file_gives_a_message_and_app_keeps_running(qtbot, window, tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    window.open_image(str(path))  # the error arrives from the worker thread
    qtbot.waitUntil(lambda: "bad.png" in window.last_error, timeout=10000)
    draw_polyline(window.draw_tab.canvas, SEVEN)  # still usable
    qtbot.waitUntil(lambda: window.draw_tab.last_probs is not None, timeout=3000)


def test_random_test_digit_shows_truth(qtbot, window):
    window.draw_tab.random_btn.click()
    assert window.draw_tab.true_label >= 0
    assert "True label" in window.draw_tab.truth_label.text()


def test_save_drawing_writes_full_and_28x28(qtbot, window, tmp_path):
    draw_polyline(window.draw_tab.canvas, SEVEN)
    assert window.save_drawing(str(tmp_path / "seven.png"))
    assert Image.open(tmp_path / "seven_28x28.png").size == (28, 28)
    assert Image.open(tmp_path / "seven.png").size[0] > 28


def test_theme_and_geometry_are_remembered(qtbot, tmp_path):
    w = create_window()
    qtbot.addWidget(w)
    w.show()
    w.apply_theme("dark")
    w.resize(900, 650)
    saved = bytes(w.saveGeometry())
    w.close()
    w2 = create_window()
    qtbot.addWidget(w2)
    # the offscreen platform does not apply restored geometry: check what was stored and handed back
    assert w2.theme == "dark" and bytes(w2.settings.value("geometry")) == saved
    w2.close()


def test_window_does_not_import_tensorflow_or_plot_libraries_before_showing():
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM']='offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from mnist_gui.app import create_window\n"
        "w = create_window(); w.show(); app.processEvents()\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib', 'pyqtgraph') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_teach_adds_labelled_drawing_to_my_digits(qtbot, window):
    from PySide6.QtCore import Qt

    from mnist_gui.ml.my_digits import MyDigits, default_path

    tab = window.draw_tab
    assert not tab.add_to_my_digits(3), "an empty canvas adds nothing"
    assert len(window.state.my_digits) == 0
    draw_polyline(tab.canvas, SEVEN)
    expected = np.clip(tab.canvas.to_mnist(), 0, 1)
    tab.canvas.setFocus()
    qtbot.keyClick(tab.canvas, Qt.Key_7)  # the digit key labels and stores it
    coll = window.state.my_digits
    assert len(coll) == 1 and coll.y[0] == 7 and tab.canvas.is_empty()
    assert np.abs(coll.x[0] / 255 - expected).max() < 0.01, "the stored image is the model's input"
    assert "My digits: 1" in tab.my_count_label.text() and "Added as 7" in window.status_msg.text()
    saved, warning = MyDigits.open(default_path())
    assert warning == "" and saved.y.tolist() == [7] and len(saved.strokes[0]) == 1
    tab.canvas.undo()
    assert not tab.canvas.is_empty(), "the drawing comes back with undo"
    tab.teach_btns[1].click()
    assert window.state.my_digits.y.tolist() == [7, 1]


def test_saved_digit_comes_back_as_editable_strokes(qtbot, window):
    tab = window.draw_tab
    draw_polyline(tab.canvas, SEVEN)
    draw_polyline(tab.canvas, [(0.35, 0.5), (0.65, 0.5)])  # a crossed seven: two strokes
    before = tab.canvas.to_mnist()
    assert tab.add_to_my_digits(7) and tab.canvas.is_empty()
    window.tabs.setCurrentWidget(window.dataset_tab)
    window.dataset_tab.split_box.setCurrentIndex(2)
    window.dataset_tab.select_index(0)
    window.dataset_tab.send_to_canvas()
    assert window.tabs.currentWidget() is tab and len(tab.canvas.strokes) == 2
    assert np.abs(tab.canvas.to_mnist() - before).max() < 1e-3, "the same drawing, rebuilt from its strokes"
    assert "True label: 7" in tab.truth_label.text()
    tab.canvas.undo()
    assert tab.canvas.is_empty(), "bringing it back is one undo step"


def test_saliency_tile_shows_evidence_for_the_answer(qtbot):
    """The 'why' tile beside the 28x28 input: red where the ink makes it the answer (numpy, no TensorFlow)."""
    import numpy as np

    from mnist_gui.ml.explain import saliency
    from mnist_gui.views.saliency_image import saliency_rgb

    w = open_window(qtbot)
    draw_polyline(w.draw_tab.canvas, [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)])
    qtbot.waitUntil(lambda: w.draw_tab.last_probs is not None and not w.draw_tab.why_tile.pixmap().isNull(), timeout=10000)
    x = w.draw_tab.digits[w.draw_tab.selected].x
    digit = int(w.draw_tab.last_probs.argmax())
    sal = saliency(w.state.model.predictor, x, digit)
    rgb = saliency_rgb(x, sal, dark=False).astype(int)
    top = np.unravel_index(np.argmax(sal), sal.shape)
    assert rgb[top][0] > rgb[top][2]  # the strongest evidence for the answer is drawn red, not blue
    assert np.all(rgb[x == 0] == 255)  # blank paper has no evidence and stays paper


def test_why_colours_the_drawing_itself_and_is_remembered(qtbot, tmp_path):
    """◐ Why (W) lays the saliency over the ink of the canvas, scaled to the drawing: colour only on ink, red
    where the map is most positive; switched off, the drawing is plain again. The choice survives a restart."""
    from mnist_gui.ml.explain import saliency

    w = open_window(qtbot)
    tab = w.draw_tab
    assert not tab.why.button.isChecked()
    QTest.keyClick(tab.canvas, Qt.Key_W)
    assert tab.why.button.isChecked()
    draw_polyline(tab.canvas, SEVEN)
    qtbot.waitUntil(lambda: tab.why.tint is not None and tab.why.tint.shape[:2] == tab.raster.shape, timeout=10000)
    tint = tab.why.tint
    assert tint[..., 3].any() and not tint[tab.raster == 0, 3].any(), "colour lies on the ink only"
    # the input pixel with the strongest evidence, mapped through the frame, is red on the canvas
    d = tab.digits[0]
    sal = saliency(w.state.model.predictor, d.x, int(tab.last_probs.argmax()))
    i, j = np.unravel_index(np.argmax(sal), sal.shape)
    top, left, sy, sx = d.frame
    r, c = int(top + (i + 0.5) * sy), int(left + (j + 0.5) * sx)
    patch = tint[r - 1 : r + 2, c - 1 : c + 2].reshape(-1, 4)
    strong = patch[patch[:, 3] > 60]
    assert len(strong) and (strong[:, 0] > strong[:, 2]).all(), "the strongest evidence for the answer is red, where it lies"
    before = tab.canvas.raster_frame()
    w.resize(w.width(), w.height() + 200)  # the raster's frame moves: the colours are made again for it
    qtbot.waitUntil(lambda: tab.canvas.raster_frame() != before and tab.why.tint is not None
                    and tab.why.tint.shape[:2] == tab.canvas.render_array().shape, timeout=10000)
    tab.why.button.click()
    qtbot.waitUntil(lambda: tab.why.tint is None, timeout=10000)
    tab.why.button.click()
    w.close()
    w2 = open_window(qtbot)
    assert w2.draw_tab.why.button.isChecked()
    w2.draw_tab.why.button.setChecked(False)
    w2.close()


def test_why_explains_only_what_changed_and_only_when_shown(qtbot, window):
    """A number: drawing on its last digit explains that digit again, not the others; with the Draw tab
    hidden nothing is computed until it is shown."""
    tab = window.draw_tab
    tab.why.button.setChecked(True)
    draw_polyline(tab.canvas, [(0.1, 0.2), (0.1, 0.8)])
    draw_polyline(tab.canvas, [(0.5, 0.2), (0.8, 0.2), (0.6, 0.8)])
    qtbot.waitUntil(lambda: len(tab.digits) == 2 and tab.why.tint is not None and tab.why._request is None, timeout=10000)
    before = tab.why.computed
    draw_polyline(tab.canvas, [(0.55, 0.5), (0.75, 0.5)])  # a cross-bar on the 7
    qtbot.waitUntil(lambda: tab.why.computed > before and tab.why._request is None, timeout=10000)
    assert tab.why.computed == before + 1, "the 1 kept its map"
    window.tabs.setCurrentWidget(window.dataset_tab)
    done = tab.why.computed
    tab.show_digit(window.state.data.x_test[0], int(window.state.data.y_test[0]))
    qtbot.waitUntil(lambda: not tab.why._timer.isActive(), timeout=10000)
    assert tab.why.computed == done and tab.why._request is not None, "hidden: waiting, not computing"
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.why.computed > done, timeout=10000)
    tab.why.button.setChecked(False)


def test_number_field_keeps_only_the_keys_that_type_the_number(window):
    """Offered a key first (ShortcutOverride), the number field takes digits and editing keys; the Draw tab's
    other keys — and Esc, which stops a training — are left to the shortcuts."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    edit = window.draw_tab.teach.number_edit

    def taken(key, modifiers=Qt.NoModifier, text=""):
        event = QKeyEvent(QEvent.ShortcutOverride, key, modifiers, text)
        QApplication.sendEvent(edit, event)
        return event.isAccepted()

    assert taken(Qt.Key_7, text="7") and taken(Qt.Key_0, Qt.KeypadModifier, "0") and taken(Qt.Key_5, Qt.ShiftModifier, "5")
    assert taken(Qt.Key_Backspace) and taken(Qt.Key_Left) and taken(Qt.Key_End, Qt.ShiftModifier)
    for key, modifiers, text in ((Qt.Key_E, Qt.NoModifier, "e"), (Qt.Key_W, Qt.NoModifier, "w"), (Qt.Key_R, Qt.NoModifier, "r"),
                                 (Qt.Key_BracketLeft, Qt.NoModifier, "["), (Qt.Key_Delete, Qt.NoModifier, ""),
                                 (Qt.Key_Z, Qt.ControlModifier, ""), (Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier, ""),
                                 (Qt.Key_Y, Qt.ControlModifier, ""), (Qt.Key_Escape, Qt.NoModifier, "")):
        assert not taken(key, modifiers, text), (key, modifiers)


def test_compare_caption_has_one_form_for_a_digit_and_a_number(qtbot):
    """The compare model's caption: its name, then its confidence — for one digit as the active model's is
    shown ('95% confident'), for a number each digit's, left to right, marked as per digit."""
    from mnist_gui.views.draw.answer_panel import AnswerPanel, Reading

    def probs(digits: list[int], confs: list[float]) -> np.ndarray:
        p = np.full((len(digits), 10), 0.0, np.float32)
        for row, d, c in zip(p, digits, confs):
            row[:] = (1 - c) / 9
            row[d] = c
        return p

    panel = AnswerPanel()
    qtbot.addWidget(panel)
    panel.show_reading(Reading(probs([7], [0.9]), probs([7], [0.95]), "MLP", "CNN", (False,)), 0)
    assert panel.compare_caption.text() == "CNN · for comparison\n95% confident"
    three = probs([2, 1, 7], [0.9, 0.9, 0.9])
    panel.show_reading(Reading(three, probs([2, 1, 7], [0.92, 0.95, 0.93]), "MLP", "CNN", (False,) * 3), 1)
    assert panel.compare_label.text() == "217"
    assert panel.compare_caption.text() == "CNN · for comparison\nper digit: 92% 95% 93%"
    panel.show_reading(Reading(three, None, "MLP", "", (False,) * 3), 0)
    assert panel.compare_caption.text() == ""
