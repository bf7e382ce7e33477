"""Files written: atomic, failures leave the previous file intact, nothing goes into the install folder."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

import mnist_gui
from mnist_gui.atomic import atomic_path, atomic_write_bytes
from mnist_gui.errors import ModelError
from mnist_gui.ml.model_io import copy_model
from mnist_gui.paths import default_model_path, user_data_dir


def test_atomic_write_replaces_in_one_step(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    atomic_write_bytes(target, b"new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_failure_mid_write_keeps_previous_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(OSError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_full_disk_on_fsync_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(target, b"new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_device_target_is_never_replaced():
    before = os.stat("/dev/full")
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write_bytes("/dev/full", b"x")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode) and os.stat("/dev/full").st_ino == before.st_ino


def test_write_into_unwritable_folder_fails_cleanly():
    with pytest.raises(OSError):
        atomic_write_bytes("/proc/mnist-gui-test.txt", b"x")


def test_model_save_into_unwritable_folder_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot save"):
        copy_model(default_model_path(), "/proc/mnist-gui-test.keras")


def test_gui_save_drawing_to_dev_full_shows_error_and_keeps_running(qtbot):
    from mnist_gui.app import create_window
    from tests.gui_helpers import draw_polyline

    w = create_window()
    qtbot.addWidget(w)
    w.show()
    draw_polyline(w.draw_tab.canvas, [(0.3, 0.3), (0.7, 0.7)])
    assert not w.save_drawing("/proc/digit.png")
    assert "digit.png" in w.last_error
    w.close()


def test_user_data_never_in_install_folder(monkeypatch):
    monkeypatch.delenv("MNIST_GUI_DATA_DIR", raising=False)
    install = Path(mnist_gui.__file__).resolve().parent.parent
    assert install not in user_data_dir().resolve().parents


def test_training_output_goes_to_user_data_dir(qtbot, small_mnist, _isolated_user_dirs):
    from mnist_gui.app import create_window

    w = create_window()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.state.data is not None and w.state.tf_ready, timeout=60000)
    w.state.set_data(small_mnist)
    tab = w.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(1)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
    assert _isolated_user_dirs in blocker.args[0].model_path.parents
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    w.close()
