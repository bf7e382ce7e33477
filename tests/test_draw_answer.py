"""The Draw tab's answer panel: the confidence sits under the active model's answer, both models' confidence
reads alike, the ✓ on the true label's bar never moves its percent, and amber text and the canvas's boxes
stay readable in the dark theme."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor

from mnist_gui.views.draw.answer_panel import AnswerPanel, Reading, amber, compare_caption, confident
from mnist_gui.views.draw.overlay import composited, contrast_ratio, overlay_colors, tag_text_color
from mnist_gui.views.widgets import LABEL_W, MAX_ROW_H, bar_row_rects, bar_rows


def probs(digits: list[int], confs: list[float]) -> np.ndarray:
    p = np.zeros((len(digits), 10), np.float32)
    for row, d, c in zip(p, digits, confs):
        row[:] = (1 - c) / 9
        row[d] = c
    return p


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast of two RGB triples (the overlay's own ``contrast_ratio``)."""
    return contrast_ratio(QColor(*a), QColor(*b))


def hex_rgb(h: str) -> tuple[int, int, int]:
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


# --- pure: no QApplication needed ------------------------------------------------------------------------
def test_one_confidence_form_for_both_models():
    """'74% confident' under the active model's 7 and '95% confident' under the compare model's: whole percents."""
    assert confident(0.743) == "74% confident"
    assert compare_caption("CNN", probs([7], [0.951])) == "CNN · for comparison\n95% confident"
    assert compare_caption("CNN", probs([1, 9], [0.951, 0.962])) == "CNN · for comparison\nper digit: 95% 96%"


def test_check_mark_keeps_the_percent_column():
    """Every row keeps the ✓'s space right of the percent: the percents' right edges line up whatever the row."""
    for width in (220.0, 480.0):
        rows = [bar_row_rects(width, d * 24.0, 24.0) for d in range(10)]
        rights = {pct.right() for _, _, pct, _ in rows}
        assert len(rights) == 1, "one right edge for every row's percent"
        for label, bar, pct, mark in rows:
            assert mark.left() >= pct.right() and mark.right() <= width, "the ✓ in its own space, inside"
            assert bar.right() <= pct.left() and bar.left() >= LABEL_W and label.right() <= bar.left()
            assert pct.width() >= 40, "room for a bold '100%'"


def test_bar_rows_are_capped_and_centred_in_a_tall_widget():
    """At 1366×768 the bars fill their ~318 px; a 1080-high window's ~644 px keeps them that thick, centred."""
    y0, row_h = bar_rows(318)
    assert y0 == 0 and row_h == 31.8
    for height in (644.0, 1000.0):
        y0, row_h = bar_rows(height)
        assert row_h == MAX_ROW_H and y0 == (height - 10 * MAX_ROW_H) / 2
        _, bar, _, _ = bar_row_rects(734, y0 + 9 * row_h, row_h)
        assert bar.height() <= 22 and bar.bottom() <= height - y0
    assert bar_rows(200) == (0, 20), "a short widget still shares its height among the ten rows"


def test_light_theme_tag_text_is_readable_on_the_tag_as_painted():
    """The tag's text against its fill blended onto the white canvas (the unselected tags are faded): WCAG's 4.5:1."""
    for low in (False, True):
        for selected in (False, True):
            _, tag = overlay_colors(low, selected, dark=False)
            under = composited(tag)
            text = tag_text_color(low, selected, dark=False)
            assert contrast(text.getRgb()[:3], under.getRgb()[:3]) >= 4.5, (low, selected, text.getRgb(), under.getRgb())
    # the faded amber tag of an unsure, unselected digit: white text on it was ~1.9:1
    assert contrast((255, 255, 255), composited(overlay_colors(True, False, False)[1]).getRgb()[:3]) < 2
    for low in (False, True):
        for selected in (False, True):
            assert tag_text_color(low, selected, dark=True).getRgb() == (255, 255, 255, 255), "the dark theme unchanged"


def test_overlay_boxes_are_opaque_and_light_in_the_dark_theme():
    paper = (24, 25, 28)  # the canvas's dark paper
    for low in (False, True):
        for selected in (False, True):
            box, tag = overlay_colors(low, selected, dark=True)
            assert box.alpha() == 255 and tag.alpha() == 255
            # WCAG's 3:1 for graphics; a dashed, thin unselected box gets far more than that
            assert contrast(box.getRgb()[:3], paper) >= (3.0 if selected else 7.0), (low, selected)
            assert contrast(tag.getRgb()[:3], (255, 255, 255)) >= 2.5, "white tag text stays readable"
    assert overlay_colors(True, False, dark=False)[0].alpha() < 255, "the light theme as before: unselected fainter"


def test_amber_text_is_readable_on_either_themes_buttons():
    assert contrast(hex_rgb(amber(False)), (236, 236, 238)) >= 4.5
    assert contrast(hex_rgb(amber(True)), (55, 57, 61)) >= 4.5


# --- the panel -------------------------------------------------------------------------------------------
def _panel(qtbot) -> AnswerPanel:
    panel = AnswerPanel()
    qtbot.addWidget(panel)
    panel.resize(540, 520)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _span(layout) -> QRectF:
    return QRectF(layout.geometry())


def test_confidence_and_true_label_sit_in_the_active_models_column(qtbot):
    panel = _panel(qtbot)
    panel.show_reading(Reading(probs([7], [0.743]), probs([7], [0.951]), "MLP", "CNN", (False,)), 0, true_label=7)
    panel.layout().activate()  # the new texts laid out now
    main, cmp_ = _span(panel.main_col), _span(panel.cmp_col)
    assert main.right() <= cmp_.left() + 1, "the active model's column left of the compare model's"
    for label in (panel.conf_label, panel.truth_label):
        g = label.geometry()
        assert label.isVisible() and g.left() >= main.left() and g.right() <= main.right(), label.text()
        assert g.top() > panel.model_caption.geometry().top(), "under the active model's answer"
    assert panel.conf_label.text() == "74% confident"
    assert panel.compare_caption.text().endswith("\n95% confident"), "the same form on the compare side"
    assert panel.truth_label.text() == "True label: 7 ✓ correct"


def test_unsure_digit_and_number_notes_use_whole_percents(qtbot):
    panel = _panel(qtbot)
    panel.show_reading(Reading(probs([4], [0.354]), None, "MLP", "", (False,)), 0)
    assert panel.conf_label.text().startswith("Not sure: 35% confident — or maybe ")
    number = probs([1, 4, 8, 4], [0.829, 0.35, 0.47, 0.82])
    panel.show_reading(Reading(number, probs([1, 9, 8, 4], [0.95, 0.96, 0.91, 0.92]), "MLP", "CNN", (False,) * 4), 0)
    assert panel.conf_label.text().startswith("Digit 1 of 4: 1 at 83% · 2 not sure")
    assert panel.compare_caption.text().endswith("per digit: 95% 96% 91% 92%")
    buttons = [b for b in panel.digit_btns if b.isVisible()]
    assert [b.text() for b in buttons] == ["1\n83%", "4?\n35%", "8?\n47%", "4\n82%"]
    assert "1 at 83%" in buttons[0].toolTip()


def test_unsure_buttons_follow_the_theme(qtbot):
    from mnist_gui.views.theme import apply_theme

    panel = _panel(qtbot)
    number = probs([1, 4], [0.9, 0.35])
    try:
        apply_theme("light")
        panel.show_reading(Reading(number, None, "MLP", "", (False,) * 2), 0)
        b = panel.digit_btns[1]
        assert amber(False) in b.styleSheet() and "font-weight: bold" in panel.digit_btns[0].styleSheet()
        assert amber(False) not in panel.digit_btns[0].styleSheet()
        apply_theme("dark")
        qtbot.waitUntil(lambda: amber(True) in b.styleSheet(), timeout=1000)
        assert amber(True) in panel.disagree_label.styleSheet()
        assert ":checked { color: palette(highlighted-text)" in b.styleSheet(), "selected: the highlight's text colour"
    finally:
        apply_theme("light")


def test_without_a_compare_answer_the_message_has_the_whole_width(qtbot):
    """A blank canvas (every start, every Clear) or no other architecture: no empty right-hand column."""
    panel = _panel(qtbot)
    panel.show_blank("Draw a digit (or a number) on the canvas")
    panel.layout().activate()
    assert panel.conf_label.width() > 0.8 * panel.width()
    panel.show_reading(Reading(probs([7], [0.743]), None, "MLP", "", (False,)), 0)
    panel.layout().activate()
    assert panel.conf_label.width() > 0.8 * panel.width()
    panel.show_reading(Reading(probs([7], [0.743]), probs([7], [0.951]), "MLP", "CNN", (False,)), 0)
    panel.layout().activate()
    assert _span(panel.cmp_col).width() > 0.3 * panel.width()  # with a compare answer, its column is back


def test_fitted_box_tile_is_a_square_with_the_crop_centred_on_paper(qtbot):
    """The "fit 20×20" tile: a 20×7 crop (a "1") fills a square tile, centred, its sides the paper's colour —
    not a narrow thumbnail between grey bands; square images (the 28×28 input) are shown as before."""
    from mnist_gui.ml.preprocess import fit_box
    from mnist_gui.views.widgets import ImageTile, gray_pixmap, on_square

    one = np.zeros((28, 28), np.float32)
    one[4:24, 12:15] = 1.0
    box = fit_box(one)
    assert box.shape[0] == 20 and box.shape[1] < 10  # fit_box keeps the aspect ratio: h×w, not 20×20
    sq = on_square(box)
    assert sq.shape == (20, 20)
    cols = np.flatnonzero(sq.max(0) > 0)
    assert abs(cols[0] - (19 - cols[-1])) <= 1  # centred left-right
    for dark in (False, True):
        tile = ImageTile("Cropped and fitted into 20×20")
        qtbot.addWidget(tile)
        tile.show_array(box, dark)
        img = tile.pixmap().toImage()
        assert img.width() == img.height() == 96
        paper = 0 if dark else 255
        for x, y in ((2, 48), (93, 48), (20, 5)):  # the margins beside the digit: paper
            assert img.pixelColor(x, y).red() == paper
        assert img.pixelColor(48, 48).red() == 255 - paper  # the stroke, centred
    square = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    tile.show_array(square, False)
    assert tile.pixmap().toImage() == gray_pixmap(square, 96).toImage()  # the 28×28 input is unchanged
