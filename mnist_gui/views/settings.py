"""Remembered settings (QSettings): window geometry, theme, last model, brush size.

``MNIST_GUI_SETTINGS`` points to an ini file instead of the platform store (tests use it).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

from mnist_gui.paths import APP_NAME, ORG_NAME


def app_settings() -> QSettings:
    path = os.environ.get("MNIST_GUI_SETTINGS")
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORG_NAME, APP_NAME)
