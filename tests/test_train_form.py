"""The Train form: architecture choice shows only its fields, each preset fills the form with what it says,
and the model summary follows the form for both architectures (no TensorFlow needed)."""

from __future__ import annotations

import pytest

from mnist_gui.ml.training import TrainingConfig
from mnist_gui.views.state import AppState
from mnist_gui.views.train_tab import TrainTab


@pytest.fixture
def tab(qtbot):
    t = TrainTab(AppState())
    qtbot.addWidget(t)
    t.show()
    return t


def _visible(tab, widget) -> bool:
    """Its form row is shown (a field may share a row with others: "Conv 1" holds filters and kernel)."""
    while widget.parentWidget() is not tab.form.form_box:
        widget = widget.parentWidget()
    return tab.form.form_layout.isRowVisible(widget)


def test_fields_switch_with_the_architecture(tab):
    form = tab.form
    tab.apply_preset("default")
    assert form.arch_name() == "mlp"
    assert all(_visible(tab, w) for w in form.mlp_fields) and not any(_visible(tab, w) for w in form.cnn_fields)
    form.arch.setCurrentIndex(form.arch.findData("cnn"))
    assert form.arch_name() == "cnn" and tab.preset.currentText() == "cnn"  # switching by hand starts from its preset
    assert all(_visible(tab, w) for w in form.cnn_fields) and not any(_visible(tab, w) for w in form.mlp_fields)
    # fields that apply to both stay
    assert all(_visible(tab, w) for w in (tab.optimizer, tab.lr, tab.epochs, tab.batch_size, tab.augment))
    form.arch.setCurrentIndex(form.arch.findData("mlp"))
    assert all(_visible(tab, w) for w in form.mlp_fields) and tab.preset.currentText() in ("notebook", "default")


def test_each_cnn_layer_is_one_labelled_row_in_focus_order(tab):
    from PySide6.QtWidgets import QLabel

    form = tab.form
    tab.apply_preset("cnn")
    layout = form.form_layout
    assert [layout.labelForField(row).text() for row in form.cnn_rows] == ["Conv 1", "Conv 2", "Dense"]
    fields = (form.conv1_filters, form.conv1_kernel, form.conv2_filters, form.conv2_kernel, form.dense_units,
              form.cnn_dropout)
    words = [label.text() for row in form.cnn_rows for label in row.findChildren(QLabel)]
    assert words == ["filters,", "kernel", "filters,", "kernel", "units,", "dropout"]
    for field in fields:  # each says what it is, and its small label tells the same
        assert field.toolTip() and field.parentWidget() in form.cnn_rows
        assert any(lab.buddy() is field and lab.toolTip() == field.toolTip() for lab in field.parentWidget().findChildren(QLabel))
    # The fields after the small labels line up from row to row.
    assert len({field.mapTo(form.form_box, field.rect().topLeft()).x() for field in fields[1::2]}) == 1
    # Tab goes through them top to bottom, left to right.
    order, w = [], form.arch
    for _ in range(200):
        w = w.nextInFocusChain()
        if w in (*fields, form.batch_norm, form.optimizer) and w not in order:
            order.append(w)
    assert order == [*fields, form.batch_norm, form.optimizer]


@pytest.mark.parametrize("name", ["notebook", "default", "cnn"])
def test_each_preset_fills_the_form_with_what_it_says(tab, name):
    tab.apply_preset("notebook" if name != "notebook" else "cnn")  # start elsewhere
    tab.apply_preset(name)
    want = TrainingConfig.preset_config(name)
    got = tab.config()
    assert tab.preset.currentText() == name and tab.form_error.text() == ""
    assert got.to_dict() == want.to_dict()
    assert tab.form.arch_name() == want.arch


def test_summary_follows_the_form_for_both_architectures(tab):
    tab.apply_preset("notebook")
    assert "Total params: 669,706" in tab.summary.toPlainText() and "Dense" in tab.summary.toPlainText()
    tab.apply_preset("cnn")
    text = tab.summary.toPlainText()
    assert "Conv2D" in text and "MaxPooling2D" in text
    before = text
    tab.form.conv1_filters.setValue(16)  # an edit changes the summary and makes the preset "custom"
    assert tab.summary.toPlainText() != before and tab.preset.currentText() == "custom"
    assert tab.config().cnn.conv1_filters == 16 and tab.config().arch == "cnn"
    tab.form.conv1_kernel.setCurrentText("3")
    assert tab.config().cnn.conv1_kernel == 3


def test_the_summary_title_names_what_it_describes_and_its_total(tab):
    """Not "Model summary" (read as the active model): the network these settings build, its total in view."""
    from mnist_gui.ml.model import summarize_config

    box = tab.form.summary_box
    tab.apply_preset("notebook")
    assert box.title() == "Network these settings build — 669,706 parameters"
    tab.apply_preset("cnn")
    cnn_total = summarize_config(tab.config()).total_params
    assert box.title().endswith(f"— {cnn_total:,} parameters") and f"Total params: {cnn_total:,}" in tab.summary.toPlainText()
    assert cnn_total != 669_706
    tab.form.dense_units.setValue(tab.form.dense_units.value() + 1)  # every edit: the title follows the text
    edited = summarize_config(tab.config()).total_params
    assert edited > cnn_total and box.title().endswith(f"— {edited:,} parameters")
    tab.lr.setText("fast")  # an invalid form keeps the last summary, and its title with it
    assert not tab.form.valid and box.title().endswith(f"— {edited:,} parameters")
    assert f"Total params: {edited:,}" in tab.summary.toPlainText()


def test_an_invalid_cnn_field_is_reported_inline(tab):
    tab.apply_preset("cnn")
    tab.lr.setText("abc")
    assert "learning rate" in tab.form_error.text() and not tab.train_btn.isEnabled()


def test_training_images_says_how_many_the_data_has(tab, mnist):
    from mnist_gui.ml.data import Mnist

    assert tab.limit.lineEdit().text() == "all"  # no data yet: no number made up
    tab.state.set_data(Mnist(mnist.x_train[:2000], mnist.y_train[:2000], mnist.x_test[:500], mnist.y_test[:500], "slice"))
    assert tab.limit.value() == 0 and tab.limit.lineEdit().text() == "all 2,000"
    assert tab.limit.maximum() == 2000  # not more images than there are
    tab.state.set_data(mnist)
    assert tab.limit.lineEdit().text() == f"all {len(mnist.x_train):,}" and tab.limit.maximum() == len(mnist.x_train)
    assert tab.form.valid and tab.form_error.text() == ""


def test_the_error_row_takes_room_only_with_an_error(tab):
    assert not _visible(tab, tab.form_error)
    tab.lr.setText("abc")
    assert _visible(tab, tab.form_error) and "learning rate" in tab.form_error.text()
    tab.lr.setText("0.001")
    assert not _visible(tab, tab.form_error) and tab.form_error.text() == ""


def test_the_model_summary_is_in_view_at_1366x768(qtbot):
    """Under the hyperparameters, above the fine-tune panel: its table shows without scrolling the form column."""
    from tests.test_train_left_column import train_tab_at_1366x768

    w, tab = train_tab_at_1366x768(qtbot, "default")
    viewport = tab.left_scroll.viewport()
    assert tab.left_scroll.verticalScrollBar().value() == 0
    box = tab.summary.rect().translated(tab.summary.mapTo(viewport, tab.summary.rect().topLeft()))
    assert viewport.rect().contains(box), (box, viewport.rect())  # the whole text box, not just its heading
    assert box.height() >= 8 * tab.summary.fontMetrics().lineSpacing()
    assert tab.form.summary_box.y() < tab.finetune.y()
    w.close()
