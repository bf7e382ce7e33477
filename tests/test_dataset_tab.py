"""The Dataset tab: filters, the notebook's figures, the pixel view, the confusion matrix, send to canvas."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gui_helpers import open_window


@pytest.fixture
def window(qtbot):
    w = open_window(qtbot, 1200, 800)
    w.tabs.setCurrentWidget(w.dataset_tab)
    qtbot.waitUntil(lambda: w.dataset_tab.confusion is not None, timeout=20000)
    yield w
    w.close()


def test_filter_by_label_returns_only_that_label(window, mnist):
    tab = window.dataset_tab
    tab.label_box.setCurrentIndex(1 + 3)
    shown = tab.shown_indices()
    assert len(shown) == 6131 and (mnist.y_train[shown] == 3).all()


def test_first_six_match_the_dataset(window, mnist):
    tab = window.dataset_tab
    titles = [ax.get_title() for ax in tab.first_six.axes]
    assert titles == [str(v) for v in mnist.y_train[:6]]
    for ax, img in zip(tab.first_six.axes, mnist.x_train[:6]):
        assert (np.asarray(ax.images[0].get_array()) == img).all()


def test_pixel_view_shows_true_values(window, mnist):
    tab = window.dataset_tab
    tab.select_index(0)
    img = mnist.x_train[0]
    ys, xs = np.nonzero(img)
    for y, x in list(zip(ys, xs))[:20] + [(0, 0)]:
        assert tab.pixel_canvas.cell_text(y, x) == str(int(img[y, x]))
    tab.rescale_box.setChecked(True)
    y, x = ys[0], xs[0]
    assert tab.pixel_canvas.cell_text(y, x) == f"{img[y, x] / 255:.1f}"
    assert "one-hot <code>[0 0 0 0 0 1 0 0 0 0]</code>" in tab.info.text()


def test_confusion_cell_filters_browser_and_counts_add_up(window, mnist):
    tab = window.dataset_tab
    assert int(tab.confusion.sum()) == 10000
    cm = tab.confusion
    t, p = np.unravel_index(np.argmax(cm - np.diag(np.diag(cm))), cm.shape)
    tab.filter_cell(int(t), int(p))
    shown = tab.shown_indices()
    assert len(shown) == cm[t, p] > 0
    assert (mnist.y_test[shown] == t).all() and (tab.test_pred[shown] == p).all()


def test_misclassified_only(window, mnist):
    tab = window.dataset_tab
    tab.split_box.setCurrentIndex(1)
    tab.wrong_box.setChecked(True)
    shown = tab.shown_indices()
    assert len(shown) == 10000 - int(np.trace(tab.confusion))
    assert (tab.test_pred[shown] != mnist.y_test[shown]).all()


def test_send_to_canvas(window, mnist):
    tab = window.dataset_tab
    tab.select_index(2)
    tab.send_btn.click()
    assert window.tabs.currentWidget() is window.draw_tab
    assert window.draw_tab.true_label == int(mnist.y_train[2])
    assert window.draw_tab.last_probs is not None


def test_export_figure(window, tmp_path):
    assert window.dataset_tab.export_figure(str(tmp_path / "pixels.png"), "pixels")
    assert (tmp_path / "pixels.png").read_bytes()[:4] == b"\x89PNG"


def test_export_button_exports_the_figure_on_the_page_showing(window, tmp_path, monkeypatch):
    from mnist_gui.views import dataset_tab as module

    tab = window.dataset_tab
    saved: list[str] = []
    for name, fig in (("first six", tab.first_six.figure), ("pixels", tab.pixel_canvas.figure)):
        monkeypatch.setattr(fig, "savefig", lambda f, *a, _n=name, _save=fig.savefig, **k: (saved.append(_n), _save(f, *a, **k)))
    out = tmp_path / "figure.png"
    monkeypatch.setattr(module.QFileDialog, "getSaveFileName", lambda *a: (str(out), "PNG image (*.png)"))
    for page, name in ((tab.first_six_page, "first six"), (tab.details.widget(0), "pixels")):
        tab.details.setCurrentWidget(page)
        assert tab.export_btn.isVisible() and tab.export_btn.isEnabled(), name  # reachable from this page
        tab.export_btn.click()
        assert saved[-1] == name and out.read_bytes()[:4] == b"\x89PNG"
    assert saved == ["first six", "pixels"]
    tab.details.setCurrentWidget(tab.details.confusion)  # a table, exported as drawn
    out.unlink()
    assert tab.export_btn.isEnabled()
    tab.export_btn.click()
    assert out.read_bytes()[:4] == b"\x89PNG"
    tab.details.setCurrentWidget(tab.first_six_page)
    assert not tab.send_btn.isVisible()  # it sends the selected image, shown on the Pixel values page only


def test_my_digits_split_browse_relabel_delete(qtbot, window, mnist):
    from PySide6.QtCore import QItemSelectionModel, Qt

    from mnist_gui.ml.my_digits import MyDigits, default_path

    tab = window.dataset_tab
    coll = window.state.my_digits
    for i in range(6):
        coll.add(mnist.x_test[i], int(mnist.y_test[i]))
    window.state.myDigitsChanged.emit()
    assert tab.split_box.itemText(2) == "My digits (6)"
    tab.split_box.setCurrentIndex(2)
    assert tab.mine_row.isVisible() and tab.model.rowCount() == 6
    assert tab.mine_pred is not None and (tab.mine_pred == mnist.y_test[:6]).mean() >= 5 / 6
    tab.select_index(1)
    assert "My digit 2" in tab.info.text()
    # select two digits and relabel them with a key
    sel = tab.view.selectionModel()
    sel.select(tab.model.index(3), QItemSelectionModel.Select)
    assert tab.selected_indices() == [1, 3]
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key_0)
    assert coll.y[1] == 0 and coll.y[3] == 0 and coll.y[2] == mnist.y_test[2]
    # delete one with the Delete key
    tab.select_index(4)
    qtbot.keyClick(tab.view, Qt.Key_Delete)
    assert len(coll) == 5 and 5 not in coll.ids and tab.model.rowCount() == 5
    saved, _ = MyDigits.open(default_path())
    assert saved.ids.tolist() == coll.ids.tolist() and saved.y.tolist() == coll.y.tolist()
    tab.split_box.setCurrentIndex(0)
    assert not tab.mine_row.isVisible() and tab.model.rowCount() == 60000


def test_import_export_from_the_menu_code_paths(window, mnist, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((2, 27, 28), np.uint8), y_train=np.zeros(2, np.uint8))
    assert not window.import_my_digits(str(bad)) and "expected (N, 28, 28)" in window.last_error
    good = tmp_path / "good.npz"
    np.savez(good, x_train=mnist.x_test[:4], y_train=mnist.y_test[:4], x_test=mnist.x_test[4:5], y_test=mnist.y_test[4:5])
    assert window.import_my_digits(str(good)) and len(window.state.my_digits) == 5
    assert window.dataset_tab.split_box.itemText(2) == "My digits (5)"
    out = tmp_path / "out.npz"
    assert window.export_my_digits(str(out))
    with np.load(out) as z:
        assert len(z["x_train"]) + len(z["x_test"]) == 5
    (tmp_path / "a_folder.npz").mkdir()
    assert not window.export_my_digits(str(tmp_path / "a_folder.npz")) and "a_folder.npz" in window.last_error


def test_empty_my_digits_split_says_how_to_add(window, mnist):
    tab = window.dataset_tab
    tab.split_box.setCurrentIndex(2)
    assert tab.model.rowCount() == 0 and tab.current == -1 and "press its number key" in tab.info.text()
    window.state.my_digits.add(mnist.x_test[0], int(mnist.y_test[0]))
    window.state.myDigitsChanged.emit()
    assert tab.model.rowCount() == 1 and tab.current == 0
    tab.delete_selected()
    assert tab.model.rowCount() == 0 and "press its number key" in tab.info.text()


def test_pixel_view_paints_the_selected_image_on_screen(qtbot, window, mnist):
    """A selection is written straight into the canvas' buffer (the fast path): its cells have the image's grey."""
    tab = window.dataset_tab
    canvas = tab.pixel_canvas
    tab.select_index(0)
    qtbot.waitUntil(lambda: canvas._background is not None, timeout=5000)  # the first full draw has happened
    tab.select_index(7)
    img = mnist.x_train[7]
    buf = np.asarray(canvas.renderer.buffer_rgba())
    x0, y0, w, h = canvas.ax.bbox.bounds
    top = buf.shape[0] - (y0 + h)
    for y, x in [(0, 0), *zip(*np.nonzero(img > 200))][:15]:
        # a cell's corner (its label is centred): the grey level of that pixel
        py, px = int(top + (y + 0.15) * h / 28), int(x0 + (x + 0.15) * w / 28)
        assert abs(int(buf[py, px, 0]) - int(img[y, x])) <= 1, (y, x)


def test_jump_box_follows_the_selection(qtbot, window, mnist):
    """The "go to #" box shows the selected image's number (set without its signals: no jump back)."""
    from PySide6.QtCore import Qt

    tab = window.dataset_tab
    changed: list[int] = []
    tab.jump.valueChanged.connect(changed.append)
    tab.select_index(7)
    assert tab.current == 7 and tab.jump.value() == 7 and tab.jump.text() == "#7"
    assert changed == []
    qtbot.keyClick(tab.view, Qt.Key_Right)  # browsing the grid with the keys
    assert tab.current == 8 and tab.jump.value() == 8
    tab.jump_btn.click()  # "Go" goes to the image shown, not to a stale number
    assert tab.current == 8
    tab.jump.setFocus()
    tab.jump.selectAll()
    qtbot.keyClicks(tab.jump, "123")
    qtbot.keyClick(tab.jump, Qt.Key_Return)  # typing a number still jumps
    assert tab.current == 123 and tab.jump.value() == 123
    changed.clear()  # (the typing's own changes)
    tab.split_box.setCurrentIndex(1)  # another split starts at its first image
    assert tab.current == 0 and tab.jump.value() == 0
    tab.label_box.setCurrentIndex(1 + 3)  # filtered: the box shows the image's number, not its row
    qtbot.keyClick(tab.view, Qt.Key_Right)
    assert tab.jump.value() == tab.current and mnist.y_test[tab.current] == 3 and tab.current in tab.shown_indices()
    assert changed == []


def test_pixel_labels_are_as_large_as_their_cells_allow(qtbot, window, mnist, tmp_path):
    """Each cell's number is sized from the cell's size in device pixels (the screen's, or the export's DPI):
    the largest font size that keeps the widest label inside the cell with a margin."""
    from mnist_gui.views.figures import _ink_size, cell_label

    tab = window.dataset_tab
    canvas = tab.pixel_canvas
    tab.select_index(0)
    qtbot.waitUntil(lambda: canvas._background is not None, timeout=5000)
    tab.select_index(7)
    _, _, w, h = canvas.ax.bbox.bounds
    cell = -(-round(max(w, h)) // 28)
    for rescaled in (False, True):
        px = canvas.label_px(rescaled, cell)
        room = cell - 1 - 2 * max(1, round(canvas.MARGIN * cell))
        widest = max(_ink_size(canvas._glyphs(px).get(cell_label(v, rescaled)))[1] for v in range(256))
        wider = max(_ink_size(canvas._glyphs(px + 1).get(cell_label(v, rescaled)))[1] for v in range(256))
        assert widest <= room < wider or _ink_size(canvas._glyphs(px + 1).get("0"))[0] > canvas.HEIGHT * cell
    # on screen: a 3-digit label's ink spans most of its cell's width and stays inside it
    img = mnist.x_train[7]
    y, x = (int(v[0]) for v in np.nonzero(img == 252))
    buf = np.asarray(canvas.renderer.buffer_rgba())[..., 0].astype(int)
    x0, y0 = canvas.ax.bbox.x0, buf.shape[0] - canvas.ax.bbox.y1
    top, left = int(round(y0 + y * h / 28)), int(round(x0 + x * w / 28))
    block = buf[top + 1 : int(round(y0 + (y + 1) * h / 28)) - 1, left + 1 : int(round(x0 + (x + 1) * w / 28)) - 1]
    ys, xs = np.nonzero(block < 128)  # dark ink on a light (252) cell
    assert xs.min() >= 1 and xs.max() <= block.shape[1] - 2
    assert xs.max() - xs.min() + 1 >= 0.6 * w / 28 and ys.max() - ys.min() + 1 >= 0.3 * h / 28
    # the export at 150 dpi draws its cells (and their labels) at its own, larger size
    sizes: list[tuple[int, int]] = []
    render = canvas.render
    canvas.render = lambda w_, h_: (sizes.append((w_, h_)), render(w_, h_))[1]
    assert tab.export_figure(str(tmp_path / "pixels.png"), "pixels")
    scale = 150 / canvas.figure.dpi
    assert sizes and abs(sizes[-1][0] - w * scale) <= 0.1 * w * scale
    big = -(-max(sizes[-1]) // 28)
    assert big > cell and canvas.label_px(False, big) > canvas.label_px(False, cell)
