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
    with pytest.raises(OSError, match="No space left on device"):  # the writer's own error, not one from the cleanup
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
    # /proc takes no new files, even from root (a chmod-ed folder would not stop root)
    with pytest.raises(OSError, match="/proc/"):  # the error names where the write failed
        atomic_write_bytes("/proc/mnist-gui-test.txt", b"x")
    assert not [p for p in os.listdir("/proc") if "mnist-gui-test" in p]


def test_model_save_into_unwritable_folder_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot save"):
        copy_model(default_model_path(), "/proc/mnist-gui-test.keras")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system (it is Linux's always-full device)")
def test_gui_save_drawing_to_dev_full_shows_error_and_keeps_running(started_window, tmp_path, monkeypatch):
    """The drawing's bytes go to /dev/full, where every write fails with ENOSPC: a full disk, for real."""
    import contextlib

    from mnist_gui import atomic
    from tests.gui_helpers import draw_polyline

    real_atomic_path = atomic.atomic_path

    @contextlib.contextmanager
    def temp_file_on_dev_full(target):
        # The app's own atomic write (temp file beside the target, rename on success, cleanup on failure),
        # with the temp file a link to /dev/full: what the app writes into it goes to the full device.
        with real_atomic_path(target) as tmp:
            tmp.unlink()
            tmp.symlink_to("/dev/full")
            yield tmp

    w = started_window
    draw_polyline(w.draw_tab.canvas, [(0.3, 0.3), (0.7, 0.7)])
    target = tmp_path / "digit.png"
    target.write_bytes(b"the previous drawing")
    device = os.stat("/dev/full")
    with monkeypatch.context() as patch:  # not monkeypatch.undo(): that would also undo the temp user-data folder
        patch.setattr(atomic, "atomic_path", temp_file_on_dev_full)
        assert not w.save_drawing(str(target))
    assert "digit.png" in w.last_error and "No space left on device" in w.last_error, w.last_error
    assert target.read_bytes() == b"the previous drawing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digit.png"], "no temp file or link left behind"
    after = os.stat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_mode) == (device.st_ino, device.st_mode)
    # ... and the app keeps running: the same drawing saves once there is room
    assert w.save_drawing(str(target))
    assert target.read_bytes().startswith(b"\x89PNG") and (tmp_path / "digit_28x28.png").is_file()
    w.close()


def test_user_data_never_in_install_folder(monkeypatch):
    monkeypatch.delenv("MNIST_GUI_DATA_DIR", raising=False)
    install = Path(mnist_gui.__file__).resolve().parent.parent
    assert install not in user_data_dir().resolve().parents


def test_training_output_goes_to_user_data_dir(qtbot, tf_window, small_mnist, _isolated_user_dirs):
    w = tf_window
    w.state.set_data(small_mnist)
    tab = w.train_tab
    tab.apply_preset("notebook")
    tab.epochs.setValue(1)
    with qtbot.waitSignal(tab.trainingFinished, timeout=120000) as blocker:
        tab.train_btn.click()
    assert _isolated_user_dirs in blocker.args[0].model_path.parents
    qtbot.waitUntil(lambda: tab.worker is None, timeout=10000)
    w.close()
