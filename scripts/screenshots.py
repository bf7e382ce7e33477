"""Screenshots of every tab, light and dark, at a given window size: ``python scripts/screenshots.py OUT_DIR [WxH]``.

Uses Qt's offscreen platform and ``QWidget.grab()``, so no display is needed; the PNGs are what a person
would see in the window (menus and dialogs excluded).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
scratch = tempfile.mkdtemp(prefix="mnist-shots-")
os.environ.setdefault("MNIST_GUI_DATA_DIR", scratch)
os.environ.setdefault("MNIST_GUI_SETTINGS", os.path.join(scratch, "settings.ini"))


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "/tmp/shots")
    w_h = argv[1] if len(argv) > 1 else "1366x768"
    width, height = (int(v) for v in w_h.split("x"))
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from mnist_gui.app import create_window
    from mnist_gui.startup import wait_until_started

    w = create_window()
    w.resize(width, height)
    w.show()
    # TensorFlow is imported on request only: ask for it, so the Train tab shows its ready state, not "loading".
    error = wait_until_started(w, app, need_tf=True, idle=True, timeout_s=300)
    if error is not None:
        print(f"the window did not start: {error}", file=sys.stderr)
    data = w.state.data
    if data is not None:
        w.draw_tab.show_digit(data.x_test[0], int(data.y_test[0]))
    w.draw_tab.why.button.setChecked(True)  # the drawing coloured by its saliency

    def shot(name: str) -> None:
        wait_until_started(w, app, idle=True, timeout_s=120)  # what the tab's first show started has finished
        t_end = time.time() + 0.5  # then a few paints
        while time.time() < t_end:
            app.processEvents()
            time.sleep(0.02)
        path = out / f"{name}-{width}x{height}.png"
        w.grab().save(str(path))
        print(path, flush=True)

    for theme in ("light", "dark"):
        w.apply_theme(theme)
        for i in range(w.tabs.count()):
            w.tabs.setCurrentIndex(i)
            shot(f"{w.tabs.tabText(i).split()[-1].lower()}-{theme}")
    # a number drawn with the pen, each digit coloured for its own answer
    from mnist_gui.ml.my_digits import PenStroke

    def pen(*pts: tuple[float, float]) -> PenStroke:
        return PenStroke(np.array(pts, np.float32), 0.06, False)

    w.draw_tab.show_strokes((pen((0.05, 0.3), (0.05, 0.55), (0.3, 0.55)), pen((0.22, 0.25), (0.22, 0.8)),
                             pen((0.5, 0.25), (0.8, 0.25), (0.6, 0.8)), pen((0.55, 0.52), (0.75, 0.52))))
    w.tabs.setCurrentWidget(w.draw_tab)
    for theme in ("light", "dark"):
        w.apply_theme(theme)
        shot(f"draw-number-{theme}")
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
