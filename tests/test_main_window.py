"""The main window's wiring: the AppState contract (errors, status, open in Dataset), Help → Open log folder,
File → Export model's choices, the compare model of the other architecture, the fourth tab."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from mnist_gui.views import file_actions, menus
from mnist_gui.views.file_actions import EXPORT_FORMATS, export_target
from mnist_gui.views.state import ActiveModel
from tests.gui_helpers import open_window


def menu_action(w, menu: str, text: str):
    m = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == menu)
    return next(a for a in m.actions() if a.text().replace("&", "") == text)


# --- the AppState contract ------------------------------------------------------------------------------

def test_report_error_shows_the_one_error_dialog_and_logs_it(started_window, caplog):
    w = started_window
    w.state.report_error("Something broke", "the details")
    boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible() and b.text() == "Something broke"]
    assert len(boxes) == 1 and boxes[0].informativeText() == "the details"
    assert w.last_error == "the details"
    assert "Something broke: the details" in caplog.text


def test_show_status_and_open_in_dataset(started_window):
    w = started_window
    w.state.show_status("a line for the status bar")
    assert w.status_msg.text() == "a line for the status bar"
    assert w.tabs.currentWidget() is w.draw_tab
    w.state.open_in_dataset("test", 3)
    assert w.tabs.currentWidget() is w.dataset_tab
    w.state.sendToCanvas.emit(w.state.data.x_test[3], int(w.state.data.y_test[3]))  # as the Dataset tab sends it
    assert w.tabs.currentWidget() is w.draw_tab


def test_inside_tab_is_the_fourth(started_window):
    w = started_window
    assert w.tabs.count() == 4 and w.tabs.widget(3) is w.inside_tab and "Inside" in w.tabs.tabText(3)
    menu_action(w, "View", "Inside").trigger()
    assert w.tabs.currentWidget() is w.inside_tab


# --- Help → Open log folder -------------------------------------------------------------------------------

def test_open_log_folder_creates_it_and_asks_the_desktop(started_window, monkeypatch):
    from mnist_gui.logs import log_dir

    opened = []
    monkeypatch.setattr(menus.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    assert not log_dir().exists() or log_dir().is_dir()
    menu_action(started_window, "Help", "Open log folder").trigger()
    assert opened == [str(log_dir())] and log_dir().is_dir()
    assert str(log_dir()) in started_window.status_msg.text()


def test_open_log_folder_without_a_file_manager_says_where_the_logs_are(started_window, monkeypatch):
    from mnist_gui.logs import log_dir

    monkeypatch.setattr(menus.QDesktopServices, "openUrl", lambda url: False)
    assert not menus.open_log_folder(started_window)
    assert str(log_dir()) in started_window.last_error


def test_about_while_tensorflow_is_still_importing(started_window, monkeypatch):
    """F1 in the seconds the background import runs: the module is in sys.modules without its version yet."""
    import sys
    import types

    shown = []
    monkeypatch.setattr(menus.QMessageBox, "about", lambda parent, title, text: shown.append(text))
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))  # partly initialised
    menus.about(started_window)
    assert len(shown) == 1 and "TensorFlow (still loading)" in shown[0] and "NumPy" in shown[0]
    sys.modules["tensorflow"].__version__ = "9.9.9"
    menus.about(started_window)
    assert "TensorFlow 9.9.9" in shown[1]


# --- File → Export model -------------------------------------------------------------------------------------

KERAS, SAVED, TFLITE = (f.name_filter for f in EXPORT_FORMATS)


@pytest.mark.parametrize(("path", "name_filter", "fmt", "out"), [
    ("/x/model", KERAS, "keras", "/x/model.keras"),
    ("/x/model.keras", KERAS, "keras", "/x/model.keras"),
    ("/x/model.tflite", KERAS, "keras", "/x/model.keras"),
    ("/x/model.v2", KERAS, "keras", "/x/model.v2.keras"),
    ("/x/model", TFLITE, "tflite", "/x/model.tflite"),
    ("/x/model.keras", TFLITE, "tflite", "/x/model.tflite"),
    ("/x/model_saved", SAVED, "saved_model", "/x/model_saved"),
    ("/x/model.keras", SAVED, "saved_model", "/x/model"),
    ("/x/model.tflite", "", "tflite", "/x/model.tflite"),  # no filter reported: the typed suffix decides
    ("/x/model", "", "keras", "/x/model.keras"),
])
def test_export_target(path, name_filter, fmt, out):
    assert export_target(path, name_filter) == (fmt, Path(out))


def test_export_formats_are_the_exporters():
    from mnist_gui.ml.export import FORMATS

    assert {f.key for f in EXPORT_FORMATS} == set(FORMATS)


def test_export_dialog_passes_the_chosen_format_and_path(started_window, monkeypatch, tmp_path):
    w = started_window
    asked, started = [], []

    def dialog(parent, title, start, filters, selected):
        asked.append((start, filters.split(";;"), selected))
        return str(tmp_path / "digits.keras"), TFLITE

    monkeypatch.setattr(file_actions.QFileDialog, "getSaveFileName", dialog)
    monkeypatch.setattr(w.files, "export_model", lambda fmt, out: started.append((fmt, out)))
    menu_action(w, "File", "Export model…").trigger()
    (start, filters, selected), = asked
    assert filters == [KERAS, SAVED, TFLITE] and selected == KERAS and start.endswith(".keras")
    assert started == [("tflite", tmp_path / "digits.tflite")]


@pytest.mark.parametrize("where", ["train tab button", "file menu"])
def test_load_model_opens_the_dialog_and_loads_the_chosen_file(started_window, monkeypatch, tmp_path, where):
    w = started_window
    asked, loaded = [], []

    def dialog(parent, title, start, filters):
        asked.append((title, filters))
        return str(tmp_path / "mine.keras"), filters

    monkeypatch.setattr(file_actions.QFileDialog, "getOpenFileName", dialog)
    monkeypatch.setattr(w.files, "load_model", loaded.append)
    if where == "file menu":
        menu_action(w, "File", "Load model…").trigger()
    else:
        w.train_tab.load_btn.click()
    assert asked == [("Load model", "Keras model (*.keras)")]
    assert loaded == [str(tmp_path / "mine.keras")]


def test_export_without_a_model_file_says_so(started_window, monkeypatch):
    w = started_window
    monkeypatch.setattr(file_actions.QFileDialog, "getSaveFileName", lambda *a: pytest.fail("no dialog expected"))
    w.state.set_model(ActiveModel(w.state.model.predictor, "trained", None, None))
    w.files.export_model_dialog()
    assert "No model file to export" in w.status_msg.text()


# --- the compare model (issue 12) ---------------------------------------------------------------------------

class FakeCnn:
    arch = "cnn"
    name = "cnn"

    def predict(self, batch: np.ndarray) -> np.ndarray:
        return np.full((len(batch), 10), 0.1, np.float32)


def test_compare_model_is_the_other_architecture(qtbot, monkeypatch):
    from mnist_gui.ml import inference

    real = inference.load_pretrained_predictor
    monkeypatch.setattr(inference, "load_pretrained_predictor", lambda arch: FakeCnn() if arch == "cnn" else real(arch))
    w = open_window(qtbot)
    compare = w.state.compare_model
    assert compare is not None and isinstance(compare.predictor, FakeCnn) and compare.kind == "default"
    with qtbot.waitSignal(w.state.compareModelChanged, timeout=1000):
        w.state.set_model(ActiveModel(FakeCnn(), "file", None, None))  # a CNN is active: compare with the MLP
    mlp = w.state.compare_model
    assert mlp is not None and not isinstance(mlp.predictor, FakeCnn)
    assert mlp.test_accuracy == w.state.default_model.test_accuracy
    w.state.use_default()
    assert isinstance(w.state.compare_model.predictor, FakeCnn)


def test_without_a_shipped_cnn_there_is_no_compare_model(qtbot, monkeypatch, caplog):
    from mnist_gui.ml import inference
    from mnist_gui.errors import ModelError

    def missing(arch: str):
        raise ModelError(f"cnn_model.weights.npz: no such file ({arch})")

    monkeypatch.setattr(inference, "load_pretrained_predictor", missing)
    caplog.set_level(logging.INFO, logger="mnist_gui.views.startup_loader")
    w = open_window(qtbot)
    assert w.state.compare_model is None and w.last_error == ""
    assert "no shipped cnn model" in caplog.text


def test_the_system_theme_follows_the_desktop_switching_to_dark(started_window, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    from mnist_gui.views import theme

    w = started_window
    w.apply_theme("system")
    assert not theme.is_dark()
    monkeypatch.setattr(theme, "system_is_dark", lambda: True)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.is_dark() and w.theme == "system"
    w.apply_theme("light")  # a theme the user chose is kept whatever the desktop does
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not theme.is_dark()


def test_ctrl_q_is_the_quit_key_on_every_platform(started_window):
    assert menu_action(started_window, "File", "Quit").shortcut().toString() == "Ctrl+Q"
