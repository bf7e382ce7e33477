"""The Train tab's left column at 1366×768: the model summary's columns fit without scrolling sideways (MLP and
CNN), the MLP's table with its total shows whole, and the fine-tune group shows below it without scrolling."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mnist_gui.ml.model import summarize_config
from mnist_gui.ml.training import TrainingConfig
from mnist_gui.views.train.form import describe


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
    from tests.gui_helpers import open_window

    w = open_window(qtbot, 1366, 768)
    tab = w.train_tab
    tab.jobs.need_tensorflow = lambda: False  # layout only: no TensorFlow import
    w.tabs.setCurrentWidget(tab)
    tab.apply_preset("default")
    qtbot.waitUntil(tab.summary.isVisible)
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
        qtbot.wait(50)
        assert tab.summary.horizontalScrollBar().maximum() == 0, preset
    w.close()
