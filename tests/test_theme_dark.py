"""The dark theme as it is seen: check boxes and fields with a visible edge, a shown digit that blends with the
canvas (the model still reading the same pixels), first-layer weights on the dark panel instead of a white block."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QHBoxLayout, QLineEdit, QSpinBox, QStyle, QStyleOptionButton, QWidget

from mnist_gui.views import theme
from mnist_gui.views.canvas import DrawCanvas


@pytest.fixture
def themed(qtbot):
    """apply_theme(name) for the test; the light theme again afterwards (one QApplication serves every test)."""
    yield theme.apply_theme
    theme.apply_theme("light")


def rgb(img: QImage, x: int, y: int) -> np.ndarray:
    return np.array(QColor(img.pixel(x, y)).getRgb()[:3], dtype=int)


def apart(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a - b).max())


def fields(qtbot) -> tuple[QWidget, QCheckBox, QCheckBox, QLineEdit, QSpinBox]:
    w = QWidget()
    qtbot.addWidget(w)
    row = QHBoxLayout(w)
    off, on, edit, spin = QCheckBox("off"), QCheckBox("on"), QLineEdit("512, 512"), QSpinBox()
    on.setChecked(True)
    for x in (off, on, edit, spin):
        row.addWidget(x)
    w.resize(600, 50)
    w.show()
    qtbot.waitExposed(w)
    return w, off, on, edit, spin


def indicator_left_edge(box: QCheckBox) -> QPoint:
    opt = QStyleOptionButton()
    box.initStyleOption(opt)
    r = box.style().subElementRect(QStyle.SE_CheckBoxIndicator, opt, box)
    return box.mapToParent(QPoint(r.left(), r.center().y()))


def test_dark_check_boxes_and_fields_have_a_visible_border(qtbot, themed) -> None:
    themed("dark")
    w, off, on, edit, spin = fields(qtbot)
    img = w.grab().toImage()
    window = rgb(img, 2, 2)
    for box in (off, on):
        p = indicator_left_edge(box)
        border, fill = rgb(img, p.x(), p.y()), rgb(img, p.x() + 2, p.y() - 3)  # (the check mark is in the middle)
        assert apart(border, fill) >= 40 and apart(border, window) >= 30, (box.text(), border, fill, window)
    for field in (edit, spin):
        g = field.geometry()
        border, fill = rgb(img, g.left(), g.center().y()), rgb(img, g.left() + 3, g.center().y())
        assert apart(border, fill) >= 40 and apart(border, window) >= 30, (type(field).__name__, border, fill, window)
    # disabled: still an edge, a dimmer one
    edit.setEnabled(False)
    img = w.grab().toImage()
    g = edit.geometry()
    dim, fill = rgb(img, g.left(), g.center().y()), rgb(img, g.left() + 3, g.center().y())
    assert 15 <= apart(dim, fill) < apart(border, fill)


def test_dark_frame_shades_are_dark_and_set(themed) -> None:
    """Light, Mid, Dark… are the dark theme's own (they were the light theme's: Light white)."""
    themed("light")
    themed("dark")
    p = QApplication.instance().palette()
    window, button = p.color(QPalette.Window), p.color(QPalette.Button)
    assert p.color(QPalette.Light).lightness() > button.lightness() and p.color(QPalette.Light).lightness() < 128
    assert p.color(QPalette.Midlight).lightness() > button.lightness()
    assert p.color(QPalette.Dark).lightness() < window.lightness() and p.color(QPalette.Mid).lightness() < button.lightness()


def test_light_theme_is_unchanged_by_a_dark_round_trip(qtbot, themed) -> None:
    """The light theme draws fields as before, and the dark one leaves nothing behind (its frame shades, the
    fields' own palettes)."""
    themed("light")
    first = QPalette(QApplication.instance().palette())
    w, *_ = fields(qtbot)
    before = w.grab().toImage()
    themed("dark")
    themed("light")
    app = QApplication.instance()
    assert app.palette() == first
    for cls in (QCheckBox, QLineEdit, QSpinBox):  # the fields' own palettes too
        assert QApplication.palette(cls()) == first, cls
    assert w.grab().toImage() == before


def digit() -> np.ndarray:
    a = np.zeros((28, 28), np.float32)
    a[6:22, 12:16] = 1.0  # a "1"
    return a


def test_a_shown_digit_blends_with_the_dark_canvas(qtbot, themed) -> None:
    c = DrawCanvas()
    qtbot.addWidget(c)
    c.resize(300, 200)  # the 200×200 square at x 50…250: the digit fills it
    c.show()
    qtbot.waitExposed(c)
    c.set_image(digit())
    rasters = {}
    for name, paper, ink in (("dark", (24, 25, 28), (240, 240, 240)), ("light", (255, 255, 255), (20, 20, 20))):
        c.set_dark(name == "dark")
        img = c.grab().toImage()
        for x, y in ((52, 2), (247, 197), (100, 100)):  # the image's corners and blank paper inside it
            assert apart(rgb(img, x, y), np.array(paper)) <= 1, (name, x, y, rgb(img, x, y))
        assert apart(rgb(img, 50 + 200 * 14 // 28, 100), np.array(ink)) <= 2, name  # the middle of the stroke
        assert apart(rgb(img, 20, 100), np.array(paper)) == 0  # beside the square: no seam
        rasters[name] = (c.render_array(), c.to_mnist())
    # the model reads the same pixels whatever the theme: white ink on black, as it always did
    np.testing.assert_array_equal(rasters["dark"][0], rasters["light"][0])
    np.testing.assert_array_equal(rasters["dark"][1], rasters["light"][1])
    raster = rasters["dark"][0]
    kx, ky, _, _ = c.raster_frame()
    assert raster[ky + 2, kx + 2] == 0.0 and raster[ky + 84, kx + 84] == 1.0


def test_weights_timeline_sits_on_the_dark_background(qtbot, themed) -> None:
    from mnist_gui.views.inside.common import diverging_lut
    from mnist_gui.views.inside.common import DARK_BACKGROUND
    from mnist_gui.views.inside.weights_timeline import WeightsTimeline

    w = WeightsTimeline(lambda *_: None)
    qtbot.addWidget(w)
    w.resize(420, 420)
    w.show()
    qtbot.waitExposed(w)
    rng = np.random.default_rng(0)
    pics = rng.normal(size=(64, 28, 28)).astype(np.float32)
    pics[:, :4, :] = 0.0  # a blank top margin, as MNIST's border pixels learn nothing
    w.show_snapshots([(0, pics)])
    np.testing.assert_array_equal(w.view.image.lut, diverging_lut())  # light: as before
    w.set_dark(True)  # switching the theme repaints what is shown
    lut = w.view.image.lut
    bg = np.array(DARK_BACKGROUND)
    assert apart(lut[127, :3].astype(int), bg) <= 2 and apart(lut[128, :3].astype(int), bg) <= 2
    blue, red = lut[0, :3].astype(int), lut[255, :3].astype(int)
    assert blue[2] > blue[0] + 80 and red[0] > red[2] + 80  # the sign still reads: blue −, red +
    assert apart(blue, bg) >= 100 and apart(red, bg) >= 100

    view = w.view
    qtbot.waitUntil(lambda: view.image.image is not None)

    def pixel(row: float, col: float) -> np.ndarray:
        p = view.mapFromScene(view.view.mapViewToScene(QPointF(col, row)))
        return rgb(view.grab().toImage(), p.x(), p.y())

    # the gap between the first two rows of squares, a blank margin inside a square: the panel's background
    for row, col in ((28.9, 100.0), (1.5, 10.5), (1.5, 40.5)):
        assert apart(pixel(row, col), bg) <= 3, (row, col, pixel(row, col))
    assert any(apart(pixel(10.5, c + 0.5), bg) >= 60 for c in range(28))  # and the weights show


def test_a_unit_template_switches_to_the_dark_colours_with_the_theme(qtbot) -> None:
    from mnist_gui.views.inside.common import DARK_BACKGROUND, diverging_lut
    from mnist_gui.views.inside.unit_view import UnitView

    v = UnitView(lambda *_: None)
    qtbot.addWidget(v)
    v.show_unit(1, "dense", 7, np.linspace(-1, 1, 784, dtype=np.float32).reshape(28, 28))
    np.testing.assert_array_equal(v.template.image.lut, diverging_lut())  # light: white middle
    v.set_dark(True)  # the unit shown is repainted with the dark map: zero is the panel's background
    assert apart(v.template.image.lut[128, :3].astype(int), np.array(DARK_BACKGROUND)) <= 2
    v.set_dark(False)
    np.testing.assert_array_equal(v.template.image.lut, diverging_lut())


@pytest.mark.parametrize("name", ["light", "dark"])
def test_charts_take_the_applied_palettes_base_and_text(themed, name) -> None:
    """Plots, figures and the Inside panels are drawn in the palette's own Base and Text (one place says them)."""
    dark = themed(name) == "dark"
    p = QApplication.instance().palette()
    assert theme.chart_colors(dark) == (p.color(QPalette.Base).name(), p.color(QPalette.Text).name())
    assert theme.window_color(dark) == p.color(QPalette.Window).name()  # around the matplotlib figures
    assert theme.chart_colors(True) != theme.chart_colors(False)
