"""``mnist-gui --smoke-test``: the frozen app's self-check.

Shows the window offscreen, waits for TensorFlow, predicts a bundled test digit, trains one epoch on a
tiny slice (augmented) and fine-tunes it once, prints ``smoke test ok`` and exits 0 — or prints the
reason and exits 1. Either way the window is closed and the app's threads (TensorFlow's import included)
have ended before it returns: Qt aborts a process that exits with a thread still running.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback


def _fail(reason: str) -> int:
    print(f"smoke test failed: {reason}", flush=True)
    return 1


def run_smoke_test(data_path: str | None = None, timeout_s: float = 180.0) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Never touch the real user's settings or data from a self-check.
    scratch = tempfile.mkdtemp(prefix="mnist-gui-smoke-")
    os.environ.setdefault("MNIST_GUI_DATA_DIR", scratch)
    os.environ.setdefault("MNIST_GUI_SETTINGS", os.path.join(scratch, "settings.ini"))
    os.environ["KERAS_HOME"] = os.path.join(scratch, "keras")
    from mnist_gui.ml import set_tensorflow_environment

    set_tensorflow_environment()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = None
    try:
        from mnist_gui.app import create_window
        from mnist_gui.startup import wait_until_started

        t0 = time.perf_counter()
        w = create_window(data_path)
        w.show()
        error = wait_until_started(w, app, need_tf=True, timeout_s=timeout_s)  # the training below needs TensorFlow
        if error is not None:
            return _fail(error)
        print(f"window shown, TensorFlow ready after {time.perf_counter() - t0:.1f} s", flush=True)
        data = w.state.data
        w.draw_tab.show_digit(data.x_test[0], int(data.y_test[0]))
        probs = w.draw_tab.last_probs
        if probs is None or int(probs.argmax()) != int(data.y_test[0]):
            return _fail(f"the default model misread test digit 0 (label {int(data.y_test[0])})")
        print(f"predicted test digit 0 as {int(probs.argmax())} ({float(probs.max()):.1%})", flush=True)

        from mnist_gui.ml.training import TrainingConfig, run_training

        # The default preset: its augmentation runs XLA-compiled code, which the bundle must carry.
        cfg = TrainingConfig.preset_config("default").with_(epochs=1, batch_size=64)
        result = run_training(cfg, data.limited(320), os.path.join(scratch, "model"))
        if not result.model_path.is_file():
            return _fail("training wrote no checkpoint")
        print(f"trained one epoch on 320 images: test accuracy {result.test_accuracy:.1%}", flush=True)
        # The CNN preset: convolution kernels and its numpy predictor must be in the bundle too.
        cnn = run_training(TrainingConfig.preset_config("cnn").with_(epochs=1, batch_size=64), data.limited(320),
                           os.path.join(scratch, "cnn"))
        if type(cnn.predictor).__name__ != "NumpyCnnPredictor":
            return _fail("the CNN run gave no CNN predictor")
        print(f"trained one CNN epoch on 320 images: test accuracy {cnn.test_accuracy:.1%}", flush=True)

        from mnist_gui.ml.finetune import FinetuneConfig, run_finetune

        tuned = run_finetune(result.model_path, data.limited(320), data.x_test[:20], data.y_test[:20], data.x_test[20:30],
                             data.y_test[20:30], os.path.join(scratch, "tuned.keras"), FinetuneConfig(epochs=1, mnist_per_epoch=256))
        print(f"fine-tuned on 20 digits: held-out {tuned.mine_before:.0%} -> {tuned.mine_after:.0%}", flush=True)
    except Exception as exc:  # the point of a smoke test is to report, not to crash
        traceback.print_exc()
        return _fail(f"{type(exc).__name__}: {exc}")
    finally:
        _shut_down(w, app, timeout_s)
    print("smoke test ok", flush=True)
    return 0


def _shut_down(window: object, app: object, timeout_s: float) -> None:
    """Close the window (success or failure) and wait for every thread the app started to end."""
    from mnist_gui.views.threads import running_threads, wait_all

    try:
        if window is not None:
            window.close()  # type: ignore[attr-defined]  (its closeEvent waits too, but only 15 s per thread)
        wait_all(int(timeout_s * 1000))
        app.processEvents()  # type: ignore[attr-defined]  (the finished threads' deleteLater)
    except Exception:  # a failure while closing must not hide the result being reported
        traceback.print_exc()
    left = running_threads()
    if left:
        print(f"smoke test: threads still running at exit: {', '.join(left)}", flush=True)
