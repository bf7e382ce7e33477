"""One place that finds the shipped resources and the user's folders.

Works from a source checkout (``<repo>/resources``), an installed wheel (``mnist_gui/resources``,
mapped there by pyproject) and a PyInstaller bundle (``sys._MEIPASS/resources``).
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
from pathlib import Path

APP_NAME = "mnist-gui"
ORG_NAME = "mnist-gui"
RUN_STAMP = "%Y%m%d-%H%M%S-%f"  # the one timestamp format of run folders (sorts by time, unique per microsecond)
PRETRAINED = {"mlp": "default_model.keras", "cnn": "cnn_model.keras"}  # the shipped models by architecture


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
    return resource_path(PRETRAINED["mlp"])


def pretrained_model_path(arch: str) -> Path:
    """The shipped model of an architecture: ``"mlp"`` (the default model) or ``"cnn"``."""
    try:
        return resource_path(PRETRAINED[arch])
    except KeyError:
        raise ValueError(f"no shipped model for {arch!r} (choose from {', '.join(PRETRAINED)})") from None


def runs_dir() -> Path:
    """``<user data>/runs``: one folder per training run (see ``mnist_gui.ml.runs``)."""
    return user_data_dir() / "runs"


def legacy_models_dir() -> Path:
    """``<user data>/models``: where versions before the Runs panel put training and fine-tuning output."""
    return user_data_dir() / "models"


def new_run_dir(kind: str = "run") -> Path:
    """A fresh, not yet existing folder ``runs/<kind>-<timestamp>`` (``kind``: ``run``, ``finetune``…).

    Nothing is created: the caller's ``prepare_output_dir`` makes it and removes it again if the job keeps nothing.
    """
    if not kind or not kind.replace("-", "").isalnum():
        raise ValueError(f"run kind must be letters, digits and dashes (got {kind!r})")
    base = runs_dir() / f"{kind}-{_dt.datetime.now().strftime(RUN_STAMP)}"
    candidate, n = base, 2
    while os.path.lexists(candidate):
        candidate, n = base.with_name(f"{base.name}-{n}"), n + 1
    return candidate
