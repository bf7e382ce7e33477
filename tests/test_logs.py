"""The log file: written in the user data folder, rotated, never fatal when it cannot be written."""

from __future__ import annotations

import logging
import logging.handlers

import pytest

from mnist_gui import logs


@pytest.fixture
def clean_root():
    root = logging.getLogger()
    before = list(root.handlers), root.level
    yield root
    for h in root.handlers:
        if h not in before[0]:
            root.removeHandler(h)
            h.close()
    root.setLevel(before[1])


def test_log_file_in_user_data_folder_receives_records(clean_root, _isolated_user_dirs):
    path = logs.setup_file_logging()
    assert path == _isolated_user_dirs / "logs" / "mnist-gui.log"
    logging.getLogger("mnist_gui.test").warning("something the user should report")
    for h in clean_root.handlers:
        h.flush()
    assert "something the user should report" in path.read_text(encoding="utf-8")
    # a second call adds no second handler (no doubled lines)
    assert logs.setup_file_logging() == path
    ours = [h for h in clean_root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(ours) == 1


def test_unwritable_log_folder_is_not_fatal(clean_root, _isolated_user_dirs, monkeypatch):
    blocker = _isolated_user_dirs / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("MNIST_GUI_DATA_DIR", str(blocker))  # logs/ cannot be created under a file
    assert logs.setup_file_logging() is None
