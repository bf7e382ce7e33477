"""Shared test setup: offscreen Qt, a temp user-data folder, started windows, tiny MNIST slices, no leaked threads."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from pathlib import Path

import numpy as np
import pytest

from mnist_gui.ml.data import Mnist, load_mnist


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Models, settings and user data go to a temp folder, never the real home."""
    d = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("MNIST_GUI_DATA_DIR", str(d))
    monkeypatch.setenv("MNIST_GUI_SETTINGS", str(d / "settings.ini"))
    return d


@pytest.fixture(autouse=True)
def _no_thread_left_running():
    """Fail any test that leaves one of the app's QThreads running."""
    yield
    try:
        from mnist_gui.views.threads import running_threads
    except ImportError:
        return
    left = running_threads()
    assert not left, f"QThreads left running: {left}"


@pytest.fixture
def started_window(qtbot):
    """A shown main window with the default model and MNIST loaded (TensorFlow not requested)."""
    from tests.gui_helpers import open_window

    return open_window(qtbot)  # qtbot closes it after the test


@pytest.fixture
def tf_window(qtbot):
    """A started main window whose TensorFlow import has been requested and has finished."""
    from tests.gui_helpers import open_window

    return open_window(qtbot, need_tf=True)


@pytest.fixture
def start_window(qtbot):
    """Starts any number of main windows (two instances, restarts); each is closed after the test."""
    from tests.gui_helpers import open_window

    made = []

    def start():
        w = open_window(qtbot)
        made.append(w)
        return w

    yield start
    for w in made:
        w.close()


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    return load_mnist()


@pytest.fixture(scope="session")
def small_mnist(mnist: Mnist) -> Mnist:
    """2000 train / 500 test images: enough to see learning, fast on 2 cores."""
    return Mnist(mnist.x_train[:2000], mnist.y_train[:2000], mnist.x_test[:500], mnist.y_test[:500], "slice")


def save_npz(path: Path, **arrays: np.ndarray) -> Path:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path
