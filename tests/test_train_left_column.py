"""The Train tab's left column at 1366×768: the model summary's columns fit without scrolling sideways (MLP and
CNN), the MLP's table with its total shows whole, and the fine-tune group shows below it without scrolling."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mnist_gui.ml.model import summarize_config
from mnist_gui.ml.training import TrainingConfig
from mnist_gui.views.train.form import describe


def train_tab_at_1366x768(qtbot, preset: str):
    """(window, Train tab) in a 1366×768 window, ``preset`` applied, the form column laid out (no TensorFlow)."""
    from tests.gui_helpers import open_window

    w = open_window(qtbot, 1366, 768)
    tab = w.train_tab
    tab.jobs.need_tensorflow = lambda: False  # layout only: no TensorFlow import
    w.tabs.setCurrentWidget(tab)
    tab.apply_preset(preset)
    qtbot.waitUntil(tab.summary.isVisible)
    return w, tab


def _in_viewport(tab, widget):
    viewport = tab.left_scroll.viewport()
    return widget.rect().translated(widget.mapTo(viewport, widget.rect().topLeft())), viewport.rect()


@pytest.mark.parametrize("preset", ["notebook", "default", "cnn"])
def test_the_summary_keeps_every_layer_and_parameter_count(preset):
    cfg = TrainingConfig.preset_config(preset)
    lines = describe(cfg).splitlines()
    summary = summarize_config(cfg)
    assert lines[0].split() == ["Layer", "(type)", "Output", "shape", "Param", "#"]
    for line, row in zip(lines[1:], summary.rows):
        assert line.startswith(f"{row.name} (") and line.endswith(f"{row.params:,}")
    assert lines[len(summary.rows) + 1] == f"Total params: {summary.total_params:,}"
    assert "(None" not in describe(cfg)  # per-image shapes: the batch dimension only widened the table
    assert max(map(len, lines)) <= 44


def test_the_mlp_table_is_its_first_8_lines_and_batch_norm_stays_narrow():
    lines = describe(TrainingConfig.preset_config("default")).splitlines()
    assert lines[7] == "Total params: 669,706" and "dense_2 (Dense)" in lines[6]
    cnn = TrainingConfig.preset_config("cnn")
    text = describe(replace(cnn, cnn=replace(cnn.cnn, batch_norm=True)))
    assert "bn1 (BatchNorm)" in text and max(map(len, text.splitlines())) <= 44


def test_the_summary_fits_and_fine_tuning_shows_at_1366x768(qtbot):
    w, tab = train_tab_at_1366x768(qtbot, "default")
    assert tab.left_scroll.verticalScrollBar().value() == 0
    # The whole MLP table, total included, without scrolling the summary box.
    assert tab.summary.verticalScrollBar().value() == 0
    total = tab.summary.document().findBlockByLineNumber(7)
    assert total.text() == "Total params: 669,706"
    box, _ = _in_viewport(tab, tab.summary)
    assert tab.summary.blockBoundingGeometry(total).bottom() + tab.summary.contentOffset().y() <= box.height()
    # Fine-tuning is in view: its group's title and the line that says what it does.
    for widget in (tab.finetune, tab.finetune.counts):
        rect, viewport = _in_viewport(tab, widget)
        assert rect.top() >= 0 and viewport.contains(rect.topLeft()), (widget, rect, viewport)
    counts, viewport = _in_viewport(tab, tab.finetune.counts)
    assert counts.bottom() <= viewport.bottom(), (counts, viewport)
    for preset in ("default", "cnn"):  # every column of the table, without scrolling sideways
        tab.apply_preset(preset)
        bar = tab.summary.horizontalScrollBar()
        qtbot.waitUntil(lambda b=bar: b.maximum() == 0 and tab.summary.toPlainText().startswith("Layer"))  # fails on timeout
    w.close()


def test_fine_tuning_shows_with_the_cnn_form_at_1366x768(qtbot):
    """The CNN's fields take one row per layer, so its form is barely taller than the MLP's: the fine-tune group's
    title is still in view, and the rows follow the architecture when it is switched."""
    from PySide6.QtWidgets import QStyle, QStyleOptionGroupBox

    w, tab = train_tab_at_1366x768(qtbot, "cnn")
    form = tab.form
    qtbot.waitUntil(form.conv1_filters.isVisible)
    assert tab.left_scroll.verticalScrollBar().value() == 0
    box, viewport = _in_viewport(tab, tab.finetune)
    opt = QStyleOptionGroupBox()
    tab.finetune.initStyleOption(opt)
    title = tab.finetune.style().subControlRect(QStyle.CC_GroupBox, opt, QStyle.SC_GroupBoxLabel, tab.finetune)
    title.translate(box.topLeft())
    assert title.height() > 0 and viewport.contains(title), (title, viewport)
    conv = (form.conv1_filters, form.conv1_kernel, form.conv2_filters, form.conv2_kernel, form.dense_units,
            form.cnn_dropout, form.batch_norm)
    for arch, shown, hidden in (("mlp", (form.hidden, form.dropout), conv), ("cnn", conv, (form.hidden, form.dropout))):
        form.arch.setCurrentIndex(form.arch.findData(arch))  # the rows are shown and hidden at once
        assert all(f.isVisible() for f in shown) and not any(f.isVisible() for f in hidden), arch
        labels = [form.form_layout.labelForField(row) for row in form.cnn_rows]
        assert all(label.isVisible() == (arch == "cnn") for label in labels), arch
    w.close()


def test_the_summary_title_shows_whole_at_1366x768(qtbot):
    """The group's title carries the total ("… — 669,706 parameters"): it is read in full, not cut off, and it does
    not widen the form column."""
    from PySide6.QtWidgets import QStyle, QStyleOptionGroupBox

    w, tab = train_tab_at_1366x768(qtbot, "default")
    box = tab.form.summary_box
    width = tab.left_scroll.width()
    for preset in ("default", "cnn"):
        tab.apply_preset(preset)
        qtbot.wait(50)
        opt = QStyleOptionGroupBox()
        box.initStyleOption(opt)
        label = box.style().subControlRect(QStyle.CC_GroupBox, opt, QStyle.SC_GroupBoxLabel, box)
        assert "parameters" in box.title() and box.rect().contains(label), (preset, label, box.rect())
        assert label.width() >= box.fontMetrics().horizontalAdvance(box.title()), preset
        assert tab.left_scroll.width() == width
    w.close()
