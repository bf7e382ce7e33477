"""The Dataset tab as a person meets it: opened a few seconds after the start, then browsed.

``python -m benchmarks.dataset MEASURE [key=JSON …]`` prints one JSON line; ``benchmarks/run.py`` makes
the figures from it.
"""

from __future__ import annotations

from benchmarks import common  # first: the app's environment before Qt and numpy load

import sys
import time


def browse(open_after_s: float = 3.0, selections: int = 40, pause_s: float = 0.25) -> dict:
    """Start the app, open the Dataset tab ``open_after_s`` seconds after the window shows (whatever the
    start-up is still doing then), and select ``selections`` images one after another, ``pause_s`` apart
    (a person clicking through): per selection, the seconds until the pixel view is redrawn.

    Then, with everything settled, the seconds to predict the 10,000 test images (the confusion matrix).
    """
    from PySide6.QtWidgets import QApplication

    from mnist_gui.app import create_window
    from mnist_gui.startup import missing, wait_until_started
    from mnist_gui.views.dataset.predictions import predict_classes as _predict_all  # the tab's whole-split prediction
    from mnist_gui.views.threads import running_threads

    app = QApplication.instance() or QApplication([])
    w = create_window()
    w.resize(1100, 720)
    w.show()
    common.spin(open_after_s)
    busy_at_open = {"threads": running_threads(), "missing": missing(w), "tensorflow_imported": "tensorflow" in sys.modules}
    tab = w.dataset_tab
    t = time.perf_counter()
    w.tabs.setCurrentWidget(tab)  # the click on the tab: its figures are made on first show
    app.processEvents()
    open_s = time.perf_counter() - t
    error = wait_until_started(w, app, timeout_s=120)  # the list needs MNIST (long loaded, normally)
    if error is not None:
        raise RuntimeError(error)
    times = []
    for i in range(1, selections + 1):
        t = time.perf_counter()
        tab.select_index(i)
        app.processEvents()  # runs the canvas' draw_idle and repaints the window: what a person waits for
        app.processEvents()
        times.append(time.perf_counter() - t)
        common.spin(pause_s)
    wait_until_started(w, app, idle=True, timeout_s=300)
    t = time.perf_counter()
    _predict_all(w.state.model.predictor, w.state.data.x_test)
    confusion_s = time.perf_counter() - t
    w.close()
    return {"select_seconds": times, "open_seconds": open_s, "confusion_seconds": confusion_s, "at_open": busy_at_open}


MEASURES = {"browse": browse}

if __name__ == "__main__":
    raise SystemExit(common.main(MEASURES))
