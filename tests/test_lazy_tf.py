"""TensorFlow is imported only when something asks for it (issue 15's idle memory): a person who only draws
never loads it; a request (or a ``.keras`` to load) brings it, with ``tfReady`` and a status line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from mnist_gui.views import startup_loader
from mnist_gui.views.threads import running_threads
from tests.gui_helpers import open_window

ROOT = Path(__file__).resolve().parents[1]

# The child: the app's window started as a person starts it, a digit drawn with the mouse, then what it imported.
CHILD = r"""
import sys
from PySide6.QtWidgets import QApplication

app = QApplication([])
from mnist_gui.app import create_window
from mnist_gui.startup import wait_until_started
from tests.gui_helpers import draw_polyline

w = create_window()
w.resize(1000, 700)
w.show()
error = wait_until_started(w, app, idle=True, timeout_s=120)
assert error is None, error
draw_polyline(w.draw_tab.canvas, [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)])
error = wait_until_started(w, app, idle=True, timeout_s=120)  # whatever the drawing started has finished
assert error is None, error
assert not w.draw_tab.canvas.is_empty()
print("imported:", sorted(m for m in ("tensorflow", "keras", "matplotlib") if m in sys.modules), flush=True)
print("tf_ready:", w.state.tf_ready, flush=True)
w.close()
"""


def test_starting_and_drawing_never_imports_tensorflow(tmp_path):
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "MNIST_GUI_DATA_DIR": str(tmp_path),
           "MNIST_GUI_SETTINGS": str(tmp_path / "settings.ini")}
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert "imported: []" in lines, out.stdout
    assert "tf_ready: False" in lines, out.stdout


def test_requesting_tensorflow_makes_tf_ready_arrive(qtbot, monkeypatch):
    calls = []
    real = startup_loader.import_tensorflow
    monkeypatch.setattr(startup_loader, "import_tensorflow", lambda: (calls.append(1), real())[1])
    w = open_window(qtbot)
    assert not w.state.tf_ready and not calls, "nothing imports it at start"
    with qtbot.waitSignal(w.state.tfReady, timeout=180_000):
        w.state.request_tensorflow()
        assert "TensorFlow" in w.status_msg.text(), "the import is visible while it runs"
        w.state.request_tensorflow()  # a second request starts no second import
    assert w.state.tf_ready and "tensorflow" in sys.modules and len(calls) == 1
    assert "ready" in w.status_msg.text() and w.last_error == ""


def test_showing_the_train_tab_asks_for_tensorflow(qtbot):
    w = open_window(qtbot)
    with qtbot.waitSignal(w.state.tfReady, timeout=180_000):
        w.tabs.setCurrentWidget(w.train_tab)
    assert w.state.tf_ready


def test_a_failed_import_shows_the_error_and_a_later_request_tries_again(qtbot, monkeypatch):
    def broken() -> str:
        raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")

    monkeypatch.setattr(startup_loader, "import_tensorflow", broken)
    w = open_window(qtbot)
    w.state.request_tensorflow()
    qtbot.waitUntil(lambda: "libtensorflow" in w.last_error, timeout=30_000)
    assert [b for b in w.findChildren(QMessageBox) if b.isVisible() and b.text() == "TensorFlow could not be loaded"]
    assert not w.state.tf_ready and "unavailable" in w.status_msg.text()
    qtbot.waitUntil(lambda: not running_threads(), timeout=30_000)
    w.last_error = ""
    w.state.request_tensorflow()  # not stuck as "requested" forever
    qtbot.waitUntil(lambda: "libtensorflow" in w.last_error, timeout=30_000)
    qtbot.waitUntil(lambda: not running_threads(), timeout=30_000)


def test_loading_a_keras_file_imports_tensorflow_first(qtbot):
    from mnist_gui.paths import default_model_path

    w = open_window(qtbot)
    assert not w.state.tf_ready
    with qtbot.waitSignal(w.state.modelChanged, timeout=180_000):
        w.load_model(str(default_model_path()))
        assert "TensorFlow" in w.status_msg.text()
    assert w.state.tf_ready and w.state.model.kind == "file" and w.last_error == ""
