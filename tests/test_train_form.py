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


def test_an_invalid_cnn_field_is_reported_inline(tab):
    tab.apply_preset("cnn")
    tab.lr.setText("abc")
    assert "learning rate" in tab.form_error.text() and not tab.train_btn.isEnabled()
