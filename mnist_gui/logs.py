"""The app's log file: a rotating ``mnist-gui.log`` in the user data folder's ``logs/``.

A user's bug report then has something in it: start-up steps, models loaded, training runs, every
error dialog (``MainWindow.error`` logs before it shows) and uncaught exceptions with their traceback.
Help → Open log folder (``mnist_gui.views.menus.open_log_folder``) shows ``log_dir()`` in the file manager.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from mnist_gui.paths import user_data_dir

log = logging.getLogger(__name__)

LOG_NAME = "mnist-gui.log"
_MAX_BYTES = 1_000_000
_BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def log_dir() -> Path:
    return user_data_dir() / "logs"


def setup_file_logging(level: int = logging.INFO) -> Path | None:
    """Attach a rotating file handler to the root logger (once); returns the file, or None if it cannot be written.

    A log that cannot be written (read-only home, full disk) must never stop the app from starting.
    """
    root = logging.getLogger()
    for h in root.handlers:
        if isinstance(h, logging.handlers.RotatingFileHandler) and getattr(h, "_mnist_gui", False):
            return Path(h.baseFilename)
    path = log_dir() / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8", delay=False)
    except OSError as exc:
        logging.getLogger(__name__).warning("no log file (%s): %s", path, exc)
        return None
    handler._mnist_gui = True  # type: ignore[attr-defined]  # marks our handler so a second call adds none
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    log.info("log file: %s", path)
    return path
