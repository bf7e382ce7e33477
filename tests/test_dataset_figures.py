"""The Dataset tab's figures at small sizes: pixel-value cells too small for readable numbers go unlabelled and
show the hovered pixel's value instead; the confusion matrix page exports as a PNG like the figures."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.backend_bases import MouseEvent
from PySide6.QtGui import QImage


def hover(canvas, row: float, col: float) -> None:
    x, y = canvas.ax.transData.transform((col, row))
    canvas.callbacks.process("motion_notify_event", MouseEvent("motion_notify_event", canvas, x, y))


def test_small_cells_drop_their_numbers_and_show_the_hovered_value(qtbot, monkeypatch) -> None:
    from mnist_gui.views import figures
    from mnist_gui.views.figures import PixelCanvas

    shown: list[str] = []  # the offscreen platform cannot raise a real tooltip (a Qt warning): record it

    tip = SimpleNamespace(showText=lambda _pos, text, _w: shown.append(text), hideText=lambda: shown.append(""))
    monkeypatch.setattr(figures, "QToolTip", tip)
    canvas = PixelCanvas()
    qtbot.addWidget(canvas)
    img = np.zeros((28, 28), np.uint8)
    img[5, 9], img[20, 3] = 200, 37
    said: list[bool] = []  # what the canvas says of its numbers (the Dataset tab shows a hint when they are gone)
    canvas.labelsShown.connect(said.append)
    for size, labelled in ((360, False), (900, True)):
        canvas.resize(size, size)
        canvas.show()
        canvas.show_image(img, False, False)
        canvas.draw()  # a full draw at this size
        cell = canvas.screen_cell()
        assert canvas.labelled(False, cell) is labelled
        assert said[-1] is labelled
        assert (canvas.label_px(False, cell) >= canvas.MIN_LABEL_PX) is labelled
        cells = canvas.atlas(False, cell)
        plain = all((cells[v] == v).all() for v in range(256))  # each cell one grey level: no number drawn
        assert plain is not labelled
        hover(canvas, 5, 9)
        assert canvas.hover_text == ("" if labelled else "row 5, column 9: 200")
    canvas.resize(360, 360)
    canvas.show_image(img, True, False)
    canvas.draw()
    hover(canvas, 20.3, 2.8)
    assert canvas.hover_text == shown[-1] == "row 20, column 3: 0.1"  # the rescaled value, as a cell would write it
    canvas.callbacks.process("motion_notify_event", MouseEvent("motion_notify_event", canvas, 1, 1))  # off the axes
    assert canvas.hover_text == shown[-1] == ""
    # an export draws its cells at its own (larger) size: numbers there even when the screen has none
    assert canvas.labelled(False, 40)
    assert said == [False, True, False]  # said on each change, not on every draw
    # a 1366×768 screen's maximised window has 18 px cells: still numbered ("255" at 8 px, 2 px apart)
    assert canvas.labelled(False, 18) and canvas.labelled(True, 18)


def test_the_confusion_matrix_page_exports_a_png(qtbot, tmp_path) -> None:
    from mnist_gui.views.dataset.details import DetailsPane

    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.resize(700, 600)
    pane.show()
    cm = np.diag(np.full(10, 90)) + 1
    pane.confusion.show_matrix(cm)
    pane.setCurrentWidget(pane.confusion)
    assert pane.export_btn.isEnabled()
    fig = pane.current_figure(None)
    out = tmp_path / "confusion.png"
    with open(out, "wb") as f:
        fig.savefig(f, format="png", dpi=150)
    img = QImage(str(out))
    assert out.read_bytes()[:4] == b"\x89PNG" and img.width() == pane.confusion.width() and img.height() == pane.confusion.height()
    assert pane.current_figure("pixels") is pane.pixel_canvas.figure


def test_the_pixel_page_says_where_the_values_went_when_its_cells_are_too_small(qtbot) -> None:
    from mnist_gui.views.dataset.details import DetailsPane

    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.ensure_figures()
    pane.show_pixels(np.full((28, 28), 200, np.uint8))
    pane.resize(420, 420)
    pane.show()
    qtbot.waitUntil(lambda: pane.pixel_canvas.labels_shown is False)
    assert pane.values_hint.isVisible()
    pane.resize(1000, 1000)
    qtbot.waitUntil(lambda: pane.pixel_canvas.labels_shown is True)
    assert not pane.values_hint.isVisible()


def test_the_first_six_fill_a_tall_page_in_two_rows_and_a_wide_one_in_a_row(qtbot) -> None:
    from mnist_gui.views.figures import FirstSixCanvas

    assert FirstSixCanvas.grid_for(700, 600) == (2, 3) and FirstSixCanvas.grid_for(1200, 200) == (1, 6)
    canvas = FirstSixCanvas()
    qtbot.addWidget(canvas)
    images = np.stack([np.full((28, 28), 40 * i, np.uint8) for i in range(6)])
    canvas.show_images(images, np.arange(6), False)
    for size, grid in (((700, 600), (2, 3)), ((1200, 200), (1, 6))):
        canvas.resize(*size)
        canvas.show()
        qtbot.waitUntil(lambda g=grid: canvas.grid == g)
        assert {ax.get_subplotspec().get_geometry()[:2] for ax in canvas.axes} == {grid}
        # the images and titles follow the new grid, in order
        assert [ax.get_title() for ax in canvas.axes] == [str(i) for i in range(6)]
        assert all((np.asarray(ax.images[0].get_array()) == img).all() for ax, img in zip(canvas.axes, images))


def test_the_hint_follows_the_rescaled_values_and_ignores_an_exports_draw(qtbot, tmp_path) -> None:
    """At some cell sizes "0.5" fits where "255" does not: ticking /255 brings the numbers and takes the hint away.
    Saving the figure (drawn at the export's DPI, where numbers fit) says nothing of the screen."""
    from mnist_gui.views.figures import PixelCanvas

    canvas = PixelCanvas()
    qtbot.addWidget(canvas)
    cell = next(c for c in range(10, 30) if canvas.labelled(True, c) and not canvas.labelled(False, c))
    said: list[bool] = []
    canvas.labelsShown.connect(said.append)
    canvas.show()
    img = np.full((28, 28), 200, np.uint8)
    for size in range(200, 1200, 4):  # a size whose screen cell is that one
        canvas.resize(size, size)
        canvas.show_image(img, False, False)
        canvas.draw()
        if canvas.screen_cell() == cell:
            break
    assert canvas.screen_cell() == cell and said[-1] is False
    canvas.figure.savefig(tmp_path / "pixels.png", dpi=150)  # larger cells in the file: numbered there
    assert said[-1] is False and canvas.labels_shown is False
    canvas.show_image(img, True, False)  # the /255 box ticked: a blit, no full draw
    assert said[-1] is True
    canvas.show_image(img, False, False)
    assert said[-1] is False


def test_fitting_on_the_extreme_labels_gives_the_size_all_labels_give(qtbot, monkeypatch) -> None:
    from mnist_gui.views import figures

    assert len(figures._extreme_labels(False)) == 30 and len(figures._extreme_labels(True)) == 11
    fast = figures.PixelCanvas()
    qtbot.addWidget(fast)
    sizes = {(r, c, m): fast._fit_label_px(r, c, m) for r in (False, True) for c in range(12, 31, 3) for m in (1, 2)}

    def every_longest(rescaled: bool) -> list[str]:
        labels = {figures.cell_label(v, rescaled) for v in range(256)}
        return sorted(t for t in labels if len(t) == max(map(len, labels)))

    monkeypatch.setattr(figures, "_extreme_labels", every_longest)
    full = figures.PixelCanvas()
    qtbot.addWidget(full)
    assert {k: full._fit_label_px(*k) for k in sizes} == sizes
