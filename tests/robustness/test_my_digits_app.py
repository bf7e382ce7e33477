"""My digits in the app: a damaged collection, a failed save and a crash mid-write lose nothing."""

from __future__ import annotations

import errno
import subprocess
import sys


from mnist_gui.ml.my_digits import MyDigits, default_path
from mnist_gui.views.threads import running_threads
from tests.gui_helpers import draw_polyline

SEVEN = [(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]


def test_damaged_collection_at_start_is_reported_kept_and_replaced(start_window, mnist):
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04 damaged")
    w = start_window()
    assert "my_digits" in w.last_error and "kept as" in w.last_error
    assert len(w.state.my_digits) == 0
    aside = [p for p in path.parent.iterdir() if "unreadable" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == b"PK\x03\x04 damaged"
    draw_polyline(w.draw_tab.canvas, SEVEN)
    assert w.draw_tab.add_to_my_digits(7)
    assert MyDigits.open(path)[0].y.tolist() == [7]


def test_failed_save_keeps_drawing_and_collection(start_window, monkeypatch):
    w = start_window()
    draw_polyline(w.draw_tab.canvas, SEVEN)

    def no_space(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(MyDigits, "save", no_space)
    assert not w.draw_tab.add_to_my_digits(7)
    assert "No space left" in w.last_error and "still on the canvas" in w.last_error
    assert len(w.state.my_digits) == 0 and not w.draw_tab.canvas.is_empty()


def test_killed_mid_save_leaves_the_previous_collection(tmp_path, mnist):
    """A process killed while rewriting the file (SIGKILL between temp write and rename) loses nothing."""
    path = tmp_path / "my.npz"
    coll, _ = MyDigits.open(path)
    for i in range(3):
        coll.add(mnist.x_train[i], int(mnist.y_train[i]))
    before = path.read_bytes()
    code = (
        "import os, signal, numpy as np\n"
        "from mnist_gui.ml.my_digits import MyDigits\n"
        "import mnist_gui.atomic as atomic\n"
        "real = os.replace\n"
        "def die(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomic.os.replace = die\n"
        f"coll, _ = MyDigits.open(__import__('pathlib').Path({str(path)!r}))\n"
        "coll.add(np.zeros((28, 28), np.uint8), 1)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == -9
    assert path.read_bytes() == before
    again, warning = MyDigits.open(path)
    assert warning == "" and len(again) == 3


def test_tuned_model_is_restored_at_next_start_and_a_broken_one_is_reported(qtbot, start_window, tmp_path):
    from mnist_gui.ml.inference import load_default_predictor, weights_path_for
    from mnist_gui.ml.model_io import copy_model
    from mnist_gui.paths import default_model_path
    from mnist_gui.views.state import ActiveModel

    mine = tmp_path / "tuned.keras"
    copy_model(default_model_path(), mine)
    w = start_window()
    w.state.set_model(ActiveModel(load_default_predictor(), "finetuned", mine, 0.99))
    w.close()
    w2 = start_window()
    assert w2.state.model.kind == "finetuned" and w2.state.model.path == mine
    assert "fine-tuned on My digits" in w2.model_label.text()
    w2.close()
    # Damaged numpy weights: the .keras is the truth, so they are derived again (TensorFlow is asked for), kind kept.
    weights_path_for(mine).write_bytes(b"damaged")
    w3 = start_window()
    qtbot.waitUntil(lambda: w3.state.model.kind == "finetuned" or w3.last_error != "", timeout=180_000)
    assert w3.last_error == "" and w3.state.model.path == mine and w3.state.tf_ready
    w3.close()
    # A damaged .keras cannot be: reported (after the Keras attempt), the pretrained model used, then forgotten.
    mine.write_bytes(b"damaged")
    w4 = start_window()
    qtbot.waitUntil(lambda: w4.last_error != "", timeout=180_000)
    assert w4.state.model.kind == "default"
    assert "tuned.keras" in w4.last_error and "pretrained model is used instead" in w4.last_error
    qtbot.waitUntil(lambda: not running_threads(), timeout=60_000)
    w4.close()
    w5 = start_window()
    assert w5.state.model.kind == "default" and w5.last_error == "", "reported once, then forgotten"
