"""One place that finds the shipped resources and the user's folders.

Works from a source checkout (``<repo>/resources``), an installed wheel (``mnist_gui/resources``,
mapped there by pyproject) and a PyInstaller bundle (``sys._MEIPASS/resources``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "mnist-gui"
ORG_NAME = "mnist-gui"


def resources_dir() -> Path:
    """The folder holding ``mnist.npz``, the default model, icons and licenses."""
    candidates = []
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.append(Path(meipass) / "resources")
    here = Path(__file__).resolve().parent
    candidates += [here.parent / "resources", here / "resources"]
    for c in candidates:
        if (c / "mnist.npz").is_file():
            return c
    return candidates[0]


def resource_path(name: str) -> Path:
    """Path of one shipped resource (it may not exist; callers report that)."""
    return resources_dir() / name


def user_data_dir() -> Path:
    """Where trained models and user files go; never the install folder.

    ``MNIST_GUI_DATA_DIR`` overrides it (tests and CI use a temp folder).
    """
    override = os.environ.get("MNIST_GUI_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return Path(user_data_path(APP_NAME, appauthor=False))


def default_model_path() -> Path:
    return resource_path("default_model.keras")
