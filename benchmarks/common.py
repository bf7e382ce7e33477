"""What every benchmark module shares: the environment, the command line, the JSON line, the first-paint loop.

A module is run as ``python -m benchmarks.<module> MEASURE [key=JSON …]``: it measures in this fresh
process, with user data and settings in a temp folder, and prints one JSON line (last on stdout) that
``benchmarks/run.py`` reads and turns into figures. Import this module before anything else: it sets the
environment the app would have (offscreen Qt, quiet TensorFlow, the app's BLAS threads) before Qt, numpy
or TensorFlow load.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The package sets the app's BLAS thread count before numpy loads; the benchmarks must run with it too.
importlib.import_module("mnist_gui")

ROOT = Path(__file__).resolve().parent.parent

Measure = Callable[..., Any]


def scratch_env() -> dict[str, str]:
    """The environment for an app process of our own: its user data and settings in a new temp folder."""
    d = tempfile.mkdtemp(prefix="mnist-bench-")
    return {**os.environ, "MNIST_GUI_DATA_DIR": d, "MNIST_GUI_SETTINGS": os.path.join(d, "settings.ini")}


def _isolate() -> None:
    """This process's user data and settings in a temp folder, never the real user's; every temp folder
    the measure makes (training runs, apps started) goes inside it, and it is removed at exit."""
    import atexit

    root = tempfile.mkdtemp(prefix="mnist-bench-")
    atexit.register(shutil.rmtree, root, True)
    tempfile.tempdir = root
    env = scratch_env()
    os.environ.update({k: env[k] for k in ("MNIST_GUI_DATA_DIR", "MNIST_GUI_SETTINGS")})


def main(measures: dict[str, Measure], argv: Sequence[str] | None = None) -> int:
    """``MEASURE [key=JSON …]``: run one measure and print its result as one JSON line."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in measures:
        print(f"usage: python -m {sys.modules['__main__'].__spec__.name} MEASURE [key=JSON …]; "
              f"measures: {', '.join(measures)}", file=sys.stderr)
        return 2
    kwargs = {}
    for arg in argv[1:]:
        key, sep, value = arg.partition("=")
        if not sep:
            print(f"error: {arg!r} is not key=JSON", file=sys.stderr)
            return 2
        kwargs[key] = json.loads(value)
    import faulthandler

    faulthandler.enable()  # a crash in Qt or TensorFlow shows where it happened
    _isolate()
    result = measures[argv[0]](**kwargs)
    print(json.dumps(result), flush=True)
    return 0


def first_paint_seconds(cmd: Sequence[str], runs: int = 5, cwd: str | os.PathLike[str] | None = None) -> list[float]:
    """Seconds from starting ``cmd`` (the app, or the frozen bundle) to its first painted window, per run.

    The app prints ``first-paint`` and exits when ``MNIST_GUI_EXIT_AFTER_PAINT`` is set.
    """
    times = []
    for _ in range(runs):
        env = {**scratch_env(), "MNIST_GUI_EXIT_AFTER_PAINT": "1", "QT_QPA_PLATFORM": "offscreen"}
        t = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, text=True, env=env, cwd=cwd or ROOT)
        assert proc.stdout is not None
        painted = None
        for line in proc.stdout:
            if line.startswith("first-paint"):
                painted = time.perf_counter() - t
                break
        code = proc.wait(timeout=60)
        shutil.rmtree(env["MNIST_GUI_DATA_DIR"], ignore_errors=True)
        if painted is None:
            raise RuntimeError(f"{' '.join(cmd)} exited with status {code} before its first paint")
        times.append(painted)
    return times


def spin(seconds: float) -> None:
    """Run the Qt event loop for ``seconds`` (a person's pause: background work and repaints go on)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(max(0, round(1000 * seconds)), loop.quit)
    loop.exec()


def started_window(*, need_tf: bool = False, idle: bool = True, size: tuple[int, int] = (1100, 720), timeout_s: float = 300.0):
    """(app, window): the app's main window, shown offscreen and started (``mnist_gui.startup``).

    ``idle`` (the default) also waits until start-up's background work has finished: the steady state.
    """
    from PySide6.QtWidgets import QApplication

    from mnist_gui.app import create_window
    from mnist_gui.startup import wait_until_started

    app = QApplication.instance() or QApplication([])
    w = create_window()
    w.resize(*size)
    w.show()
    error = wait_until_started(w, app, need_tf=need_tf, idle=idle, timeout_s=timeout_s)
    if error is not None:
        raise RuntimeError(f"the window did not start: {error}")
    return app, w
