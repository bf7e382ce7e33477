"""Benchmarks: ``python benchmarks/run.py [NAME …]`` prints one line per figure, ``NAME: VALUE UNIT``.

README's results table is made from this output. Comparisons are ratios measured side by side in one run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

BENCHES: dict[str, Callable[[], list[tuple[str, float, str]]]] = {}
EPOCHS_SPEED = 3  # epochs per side for the throughput comparisons


def bench(*names: str):
    def deco(fn):
        for n in names:
            BENCHES[n] = fn
        return fn
    return deco


def _env() -> dict:
    import tempfile

    return {**os.environ, "MNIST_GUI_DATA_DIR": tempfile.mkdtemp(prefix="mnist-bench-"),
            "MNIST_GUI_SETTINGS": os.path.join(tempfile.mkdtemp(prefix="mnist-bench-"), "s.ini")}


def _sub(code: str, timeout: int = 1800) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line last."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- core -----------------------------------------------------------------------------------------------
@bench("test_accuracy_default", "test_accuracy_notebook")
def accuracy() -> list:
    code = (
        "import json, tempfile\n"
        "from mnist_gui.ml.data import load_mnist\n"
        "from mnist_gui.ml.training import TrainingConfig, run_training\n"
        "d = load_mnist(); res = {}\n"
        "for name in ('default', 'notebook'):\n"
        "    r = run_training(TrainingConfig.preset_config(name), d, tempfile.mkdtemp())\n"
        "    res[name] = r.test_accuracy\n"
        "print(json.dumps(res))\n"
    )
    r = _sub(code)
    return [("test_accuracy_default", 100 * r["default"], "%"), ("test_accuracy_notebook", 100 * r["notebook"], "%")]


@bench("train_throughput_ratio")
def throughput() -> list:
    """Project training run vs a bare notebook-style ``model.fit`` (Keras defaults, ModelCheckpoint)."""
    code = (
        "import json, tempfile, time, keras\n"
        "from mnist_gui.ml.data import load_mnist\n"
        "from mnist_gui.ml.model import ModelSpec, build_model\n"
        "from mnist_gui.ml.training import TrainingConfig, run_training, prepare\n"
        f"E = {EPOCHS_SPEED}\n"
        "d = load_mnist(); p = prepare(d)\n"
        "def bare():\n"
        "    m = build_model(ModelSpec(), seed=1)\n"
        "    m.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])\n"
        "    ck = keras.callbacks.ModelCheckpoint(tempfile.mkdtemp() + '/b.keras', monitor='val_loss', save_best_only=True)\n"
        "    t = time.perf_counter(); m.fit(p.x_train, p.y_train, batch_size=128, epochs=E, validation_split=0.2, callbacks=[ck], verbose=0)\n"
        "    return time.perf_counter() - t\n"
        "def project():\n"
        "    r = run_training(TrainingConfig.preset_config('notebook').with_(epochs=E), d, tempfile.mkdtemp())\n"
        "    return r.seconds\n"
        "bare(); project()  # warm-up: graph tracing and caches for both\n"
        "b = [bare() for _ in range(2)]; q = [project() for _ in range(2)]\n"
        "print(json.dumps({'bare': min(b), 'project': min(q)}))\n"
    )
    r = _sub(code)
    return [("train_throughput_ratio", r["bare"] / r["project"], "x"),
            ("train_epoch_seconds_project", r["project"] / EPOCHS_SPEED, "s"), ("train_epoch_seconds_bare", r["bare"] / EPOCHS_SPEED, "s")]


@bench("finetune_style_gain_points", "finetune_mnist_drop_points")
def finetune() -> list:
    """Fine-tune the shipped model on 50 drawings of a style MNIST lacks (benchmarks/style.py: 5 per digit),
    measure on 1000 other drawings of that style (100 per digit) and on the MNIST test set.

    Three fine-tuning seeds with the app's default settings: the gain is their mean, the MNIST drop the worst.
    """
    code = (
        "import json, tempfile\n"
        "from benchmarks.style import style_set\n"
        "from mnist_gui.ml.data import load_mnist\n"
        "from mnist_gui.ml.finetune import FinetuneConfig, run_finetune\n"
        "from mnist_gui.paths import default_model_path\n"
        "d = load_mnist(); tx, ty = style_set(5, seed=1); hx, hy = style_set(100, seed=2); runs = []\n"
        "for seed in (0, 1, 2):\n"
        "    r = run_finetune(default_model_path(), d, tx, ty, hx, hy, tempfile.mkdtemp() + '/ft.keras', FinetuneConfig(seed=seed))\n"
        "    runs.append([r.mine_before, r.mine_after, r.mnist_before, r.mnist_after, r.seconds])\n"
        "print(json.dumps(runs))\n"
    )
    runs = _sub(code)
    gain = sum(100 * (r[1] - r[0]) for r in runs) / len(runs)
    drop = max(100 * (r[2] - r[3]) for r in runs)
    return [("finetune_style_before_pct", 100 * runs[0][0], "%"),
            ("finetune_style_after_pct", sum(100 * r[1] for r in runs) / len(runs), "% (mean of 3)"),
            ("finetune_style_gain_points", gain, "points"),
            ("finetune_mnist_drop_points", drop, "points (worst of 3)"),
            ("finetune_seconds", max(r[4] for r in runs), "s")]


@bench("augment_throughput_ratio")
def augment_throughput() -> list:
    """Steady-state training speed with on-the-fly augmentation vs plain (default preset, same run).

    Epoch 1 (tracing, XLA compilation) is left out: it is paid once per run, not per epoch. Runs alternate
    plain/augmented three times and each side keeps its fastest median epoch, so machine noise hits both.
    """
    code = (
        "import json, statistics, tempfile\n"
        "from mnist_gui.ml.data import load_mnist\n"
        "from mnist_gui.ml.training import TrainingConfig, TrainingReporter, run_training\n"
        "class R(TrainingReporter):\n"
        "    def __init__(self): self.s = []\n"
        "    def epoch(self, e, logs, seconds): self.s.append(seconds)\n"
        f"E = {EPOCHS_SPEED + 1}\n"
        "d = load_mnist(); out = {'plain': 0.0, 'augment': 0.0}\n"
        "for _ in range(3):\n"
        "    for aug in (False, True):\n"
        "        rep = R()\n"
        "        r = run_training(TrainingConfig.preset_config('default').with_(epochs=E, augment=aug), d, tempfile.mkdtemp(), rep)\n"
        "        n_fit = len(d.x_train) - int(len(d.x_train) * r.config.validation_split)\n"
        "        key = 'augment' if aug else 'plain'\n"
        "        out[key] = max(out[key], n_fit / statistics.median(rep.s[1:]))\n"
        "print(json.dumps(out))\n"
    )
    r = _sub(code)
    return [("augment_throughput_ratio", r["augment"] / r["plain"], "x")]


@bench("predict_p95_ms")
def predict_latency() -> list:
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.inference import load_default_predictor

    p = load_default_predictor()
    x = load_mnist().x_test[:2000].astype(np.float32) / 255
    for i in range(100):
        p.predict(x[i : i + 1])
    times = []
    for i in range(2000):
        t = time.perf_counter()
        p.predict(x[i : i + 1])
        times.append(time.perf_counter() - t)
    return [("predict_p95_ms", 1000 * float(np.percentile(times, 95)), "ms")]


# --- GUI ------------------------------------------------------------------------------------------------
@bench("window_visible_s")
def window_visible() -> list:
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "mnist_gui"], stdout=subprocess.PIPE, text=True,
                                env={**_env(), "MNIST_GUI_EXIT_AFTER_PAINT": "1"}, cwd=ROOT)
        for line in proc.stdout:
            if line.startswith("first-paint"):
                runs.append(time.perf_counter() - t)
                break
        proc.wait(timeout=60)
    return [("window_visible_s", float(np.median(runs)), "s")]


def _app_window():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from mnist_gui.app import create_window

    w = create_window()
    w.resize(1100, 720)
    w.show()
    from mnist_gui.views.threads import running_threads

    # steady state: start-up's background work (data, TensorFlow, plotting imports) has finished
    deadline = time.time() + 60
    while (w.state.model is None or w.state.data is None or not w.state.tf_ready or running_threads()) and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    return app, w


@bench("draw_to_prediction_p95_ms", "drawn_digit_accuracy", "clean_digit_accuracy")
def drawing() -> list:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from drawn import draw_test_digits

    from mnist_gui.ml.inference import load_default_predictor

    os.environ.update({k: v for k, v in _env().items() if k.startswith("MNIST_GUI")})
    app, w = _app_window()
    predictor = load_default_predictor()
    data = w.state.data
    xs, idx, latencies = draw_test_digits(w.draw_tab.canvas, data.x_test, 1000, seed=0, predict=predictor.predict,
                                          every=app.processEvents)
    drawn = float((predictor.predict(xs).argmax(1) == data.y_test[idx]).mean())
    clean = float((predictor.predict(data.x_test[idx] / 255.0).argmax(1) == data.y_test[idx]).mean())
    w.close()
    return [("draw_to_prediction_p95_ms", 1000 * float(np.percentile(latencies, 95)), "ms"),
            ("draw_to_prediction_median_ms", 1000 * float(np.median(latencies)), "ms"),
            ("drawn_digit_accuracy", 100 * drawn, "%"), ("clean_digit_accuracy", 100 * clean, "%")]


@bench("augment_recipe")
def augment_recipe() -> list:
    """The shipped model's recipe with and without on-the-fly augmentation (default preset).

    Seeds 42 and 43 for each; the same 1000 drawn digits (as ``drawn_digit_accuracy``) and the same 1000
    drawings of the new style (``benchmarks/style.py``) for every model. Figures are means over the seeds.
    """
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from drawn import draw_test_digits
    from style import style_set

    from mnist_gui.ml.inference import load_predictor

    code = (
        "import json, tempfile\n"
        "from mnist_gui.ml.data import load_mnist\n"
        "from mnist_gui.ml.training import TrainingConfig, run_training\n"
        "d = load_mnist(); out = []\n"
        "for seed in (42, 43):\n"
        "    for aug in (False, True):\n"
        "        r = run_training(TrainingConfig.preset_config('default').with_(augment=aug, seed=seed), d, tempfile.mkdtemp())\n"
        "        out.append(['augment' if aug else 'plain', str(r.model_path), r.test_accuracy])\n"
        "print(json.dumps(out))\n"
    )
    runs = _sub(code)
    os.environ.update({k: v for k, v in _env().items() if k.startswith("MNIST_GUI")})
    app, w = _app_window()
    data = w.state.data
    xs, idx, _ = draw_test_digits(w.draw_tab.canvas, data.x_test, 1000, seed=0, every=app.processEvents)
    w.close()
    sx, sy = style_set(100, seed=2)
    sums: dict[str, list[float]] = {}
    for name, path, test_acc in runs:
        p = load_predictor(path)
        drawn = float((p.predict(xs).argmax(1) == data.y_test[idx]).mean())
        style = float((p.predict(sx / 255.0).argmax(1) == sy).mean())
        for key, v in (("test", test_acc), ("drawn", drawn), ("style", style)):
            sums.setdefault(f"recipe_{name}_{key}_accuracy", []).append(100 * v)
    return [(k, sum(v) / len(v), f"% (mean of {len(v)}: {', '.join(f'{x:.2f}' for x in v)})") for k, v in sums.items()]


@bench("pixel_view_update_ms", "confusion_eval_s")
def dataset_tab() -> list:
    os.environ.update({k: v for k, v in _env().items() if k.startswith("MNIST_GUI")})
    app, w = _app_window()
    from mnist_gui.views.dataset_tab import _predict_all

    w.tabs.setCurrentWidget(w.dataset_tab)
    app.processEvents()
    tab = w.dataset_tab
    tab.ensure_figures()
    times = []
    for i in range(1, 41):
        t = time.perf_counter()
        tab.select_index(i)
        app.processEvents()  # runs the canvas' draw_idle and repaints the window: what a person waits for
        app.processEvents()
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    _predict_all(w.state.model.predictor, w.state.data.x_test)
    conf = time.perf_counter() - t
    w.close()
    return [("pixel_view_update_ms", 1000 * float(np.percentile(times, 95)), "ms"), ("confusion_eval_s", conf, "s")]


_HEADLESS = (
    "import json, resource, tempfile\n"
    "from mnist_gui.ml.data import load_mnist\n"
    "from mnist_gui.ml.training import TrainingConfig, run_training\n"
    f"r = run_training(TrainingConfig.preset_config('default').with_(epochs={EPOCHS_SPEED}), load_mnist(), tempfile.mkdtemp())\n"
    "print(json.dumps({'sps': r.samples_per_second, 'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
)

_GUI = (
    "import json, resource, time, os, sys\n"
    "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
    "from PySide6.QtWidgets import QApplication\n"
    "from PySide6.QtCore import QTimer\n"
    "app = QApplication([])\n"
    "from mnist_gui.app import create_window\n"
    "w = create_window(); w.resize(1100, 720); w.show()\n"
    "tab = w.train_tab; out = {}; stall = [0.0]; last = [time.perf_counter()]; training = [False]\n"
    "PROBE = PROBE_MS / 1000\n"
    "def probe():\n"
    "    now = time.perf_counter()\n"
    "    if training[0]: stall[0] = max(stall[0], now - last[0] - PROBE)\n"
    "    last[0] = now\n"
    "timer = QTimer(); timer.setInterval(PROBE_MS); timer.timeout.connect(probe)\n"
    "if PROBE_MS: timer.start()\n"
    "def go():\n"
    "    if w.state.data is None or not w.state.tf_ready: QTimer.singleShot(100, go); return\n"
    "    w.tabs.setCurrentWidget(tab); tab.apply_preset('default')\n"
    f"    tab.epochs.setValue({EPOCHS_SPEED})\n"
    "    QTimer.singleShot(1000, start)  # let start-up work (dataset predictions, imports) settle\n"
    "def start():\n"
    "    training[0] = True; last[0] = time.perf_counter(); tab.train_btn.click()\n"
    "def done(r):\n"
    "    training[0] = False; out['sps'] = r.samples_per_second; QTimer.singleShot(500, app.quit)\n"
    "tab.trainingFinished.connect(done)\n"
    "QTimer.singleShot(200, go); app.exec(); w.close()\n"
    "out['stall'] = stall[0]; out['rss'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(json.dumps(out))\n"
)


@bench("gui_train_throughput_ratio", "gui_max_stall_ms", "gui_peak_rss_ratio")
def gui_training() -> list:
    """In-app training vs the headless run, interleaved, best of three each (the VM's speed drifts by more
    than the effect measured). The stall probe (a 20 ms QTimer) runs in separate GUI runs: its own
    wake-ups are measurement cost, not the app's."""
    heads, guis, probed = [], [], []
    for _ in range(3):
        heads.append(_sub(_HEADLESS))
        guis.append(_sub("PROBE_MS = 0\n" + _GUI))
    probed.append(_sub("PROBE_MS = 20\n" + _GUI))
    h_sps = max(r["sps"] for r in heads)
    g_sps = max(r["sps"] for r in guis)
    return [("gui_train_throughput_ratio", g_sps / h_sps, "x"), ("gui_max_stall_ms", 1000 * max(r["stall"] for r in probed), "ms"),
            ("gui_peak_rss_ratio", max(r["rss"] for r in guis + probed) / max(r["rss"] for r in heads), "x"),
            ("gui_train_samples_per_s", g_sps, "samples/s"), ("headless_train_samples_per_s", h_sps, "samples/s")]


@bench("bundle_size_gb", "frozen_window_visible_s")
def bundle() -> list:
    """Needs a built bundle: ``pyinstaller --noconfirm build.spec`` (dist/mnist-gui)."""
    exe = ROOT / "dist" / "mnist-gui" / "mnist-gui"
    if not exe.is_file():
        raise RuntimeError("no bundle at dist/mnist-gui: build it with `pyinstaller --noconfirm build.spec`")
    size = sum(f.stat().st_size for f in exe.parent.rglob("*") if f.is_file() and not f.is_symlink())
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        proc = subprocess.Popen([str(exe)], stdout=subprocess.PIPE, text=True, cwd="/tmp",
                                env={**_env(), "MNIST_GUI_EXIT_AFTER_PAINT": "1", "QT_QPA_PLATFORM": "offscreen"})
        for line in proc.stdout:
            if line.startswith("first-paint"):
                runs.append(time.perf_counter() - t)
                break
        proc.wait(timeout=60)
    return [("bundle_size_gb", size / 1e9, "GB"), ("frozen_window_visible_s", float(np.median(runs)), "s")]


def main(argv: list[str]) -> int:
    names = argv or list(dict.fromkeys(BENCHES))
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"error: unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(BENCHES)})", file=sys.stderr)
        return 2
    done: set = set()
    for n in names:
        fn = BENCHES[n]
        if fn in done:
            continue
        done.add(fn)
        for name, value, unit in fn():
            print(f"{name}: {value:.4g} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
