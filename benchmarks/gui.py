"""Measures of the app with its window: start-up, idle cost, drawing, training in the window.

``python -m benchmarks.gui MEASURE [key=JSON …]`` prints one JSON line; ``benchmarks/run.py`` makes the
figures from it. The window is offscreen; user data and settings are in a temp folder.
"""

from __future__ import annotations

from benchmarks import common  # first: the app's environment before Qt and numpy load

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def window_visible(runs: int = 5) -> dict:
    """Seconds from ``python -m mnist_gui`` to the first painted window, per run."""
    return {"seconds": common.first_paint_seconds([sys.executable, "-m", "mnist_gui"], runs)}


def _proc_status(pid: int) -> tuple[float, float]:
    """(resident MB, CPU seconds used, user + system) of a running process, from /proc."""
    rss_kb = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("VmRSS:"))
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()  # after "pid (comm)": state is field 3
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return rss_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


def idle(after_s: float = 15.0, runs: int = 3) -> dict:
    """The app started as a person starts it (``python -m mnist_gui``), shown and left alone: its resident
    memory and the CPU time it has used ``after_s`` seconds after the start, per run.

    Also whether TensorFlow was loaded by then (its library in the process's memory map), and whether
    the log shows the start-up work that follows the first paint (the default model made active).
    """
    if not Path("/proc/self/stat").exists():
        raise RuntimeError("idle needs Linux's /proc")
    out = []
    for _ in range(runs):
        env = common.scratch_env()
        with tempfile.TemporaryFile("w+") as err:
            t0 = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "mnist_gui"], env=env, cwd=common.ROOT,
                                    stdout=subprocess.DEVNULL, stderr=err)
            try:
                time.sleep(max(0.0, t0 + after_s - time.monotonic()))
                if proc.poll() is not None:
                    err.seek(0)
                    raise RuntimeError(f"the app exited with status {proc.returncode}: {err.read()[-3000:]}")
                rss_mb, cpu_s = _proc_status(proc.pid)
                maps = Path(f"/proc/{proc.pid}/maps").read_text()
            finally:
                proc.terminate()
                proc.wait(timeout=60)
        log = Path(env["MNIST_GUI_DATA_DIR"], "logs", "mnist-gui.log")
        log_text = log.read_text(errors="replace") if log.is_file() else ""
        out.append({"rss_mb": rss_mb, "cpu_s": cpu_s, "tensorflow_loaded": "libtensorflow" in maps,
                    "started": "active model:" in log_text})
    return {"after_s": after_s, "runs": out}


def drawing(n: int = 1000, rounds: int = 3) -> dict:
    """Digits drawn on the real canvas with mouse events, then to the model input and a prediction.

    Round 0 draws ``n`` test digits (seed 0: the accuracy figures, the same digits as ``augment_recipe``);
    each round gives the seconds from the end of each drawing to its prediction. The rounds run one after
    another on other digits (seeds 1, 2, …), so a burst of load on the machine hits one of them only.
    """
    from benchmarks.drawn import draw_test_digits
    from mnist_gui.ml.inference import load_default_predictor

    app, w = common.started_window()
    predictor = load_default_predictor()
    data = w.state.data
    canvas = w.draw_tab.canvas
    xs, idx, latencies = draw_test_digits(canvas, data.x_test, n, seed=0, predict=predictor.predict, every=app.processEvents)
    drawn = float((predictor.predict(xs).argmax(1) == data.y_test[idx]).mean())
    clean = float((predictor.predict(data.x_test[idx] / 255.0).argmax(1) == data.y_test[idx]).mean())
    rounds_s = [latencies]
    for seed in range(1, rounds):
        rounds_s.append(draw_test_digits(canvas, data.x_test, n, seed=seed, predict=predictor.predict, every=app.processEvents)[2])
    w.close()
    return {"latency_rounds": rounds_s, "drawn_accuracy": drawn, "clean_accuracy": clean}


def recipe_eval(models: list[dict]) -> dict:
    """The models of ``core.recipe_train`` on the 1000 drawn digits of ``drawing`` (seed 0) and on 1000
    drawings of the new style (``benchmarks/style.py``)."""
    from benchmarks.drawn import draw_test_digits
    from benchmarks.style import style_set
    from mnist_gui.ml.inference import load_predictor

    app, w = common.started_window()
    data = w.state.data
    xs, idx, _ = draw_test_digits(w.draw_tab.canvas, data.x_test, 1000, seed=0, every=app.processEvents)
    w.close()
    sx, sy = style_set(100, seed=2)
    out = []
    for m in models:
        p = load_predictor(m["path"])
        out.append({**m, "drawn_accuracy": float((p.predict(xs).argmax(1) == data.y_test[idx]).mean()),
                    "style_accuracy": float((p.predict(sx / 255.0).argmax(1) == sy).mean())})
    return {"runs": out}


def gui_train(epochs: int = 3, probe_ms: int = 0) -> dict:
    """A training run started with the Train tab's button (default preset), as a person would.

    With ``probe_ms`` a QTimer of that interval measures the event loop's longest stall during training
    (how late a tick came, beyond its interval); its own wake-ups cost time, so the throughput is
    measured in runs without it.
    """
    import resource

    from PySide6.QtCore import QEventLoop, QTimer

    from mnist_gui.startup import wait_until_started

    app, w = common.started_window(need_tf=True)
    tab = w.train_tab
    w.tabs.setCurrentWidget(tab)
    tab.apply_preset("default")
    tab.epochs.setValue(epochs)
    # what showing the tab started (plots, the untrained model's evaluation) finishes first, then a pause
    error = wait_until_started(w, app, need_tf=True, idle=True, timeout_s=300)
    if error is not None:
        raise RuntimeError(error)
    common.spin(1.0)

    probe = 0.001 * probe_ms
    stall = [0.0]
    last = [0.0]
    training = [False]

    def tick() -> None:
        now = time.perf_counter()
        if training[0]:
            stall[0] = max(stall[0], now - last[0] - probe)
        last[0] = now

    timer = QTimer()
    timer.setInterval(probe_ms)
    timer.timeout.connect(tick)
    result = []
    loop = QEventLoop()

    def done(r) -> None:
        training[0] = False
        result.append(r)
        QTimer.singleShot(500, loop.quit)

    def failed(message: str) -> None:
        training[0] = False
        result.append(RuntimeError(message))
        loop.quit()

    tab.trainingFinished.connect(done)
    tab.trainingFailed.connect(failed)
    QTimer.singleShot(1800_000, lambda: failed("the training did not finish within 30 minutes"))
    if probe_ms:
        timer.start()
    training[0] = True
    last[0] = time.perf_counter()
    tab.train_btn.click()
    loop.exec()
    timer.stop()
    w.close()
    if isinstance(result[0], Exception):
        raise result[0]
    return {"sps": result[0].samples_per_second, "stall_s": stall[0], "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _stall_probe(interval_ms: int):
    """A QTimer ticking every ``interval_ms``: ``probe()`` returns the longest gap beyond the interval since
    the last ``probe(reset=True)``, i.e. the event loop's longest block."""
    from PySide6.QtCore import QTimer

    state = {"last": time.perf_counter(), "worst": 0.0}

    def tick() -> None:
        now = time.perf_counter()
        state["worst"] = max(state["worst"], now - state["last"] - interval_ms / 1000)
        state["last"] = now

    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(tick)
    timer.start()

    def probe(reset: bool = False) -> float:
        worst = state["worst"]
        if reset:
            state["last"], state["worst"] = time.perf_counter(), 0.0
        return worst

    return timer, probe


def inside_compute(archs: tuple[str, ...] = ("mlp", "cnn"), rounds: int = 3, probe_ms: int = 5) -> dict:
    """The Inside tab computing its background work (top-9 images of every unit, the 5,000-point map) for
    the shipped MLP and CNN, a drawing shown: the event loop's longest block from the model change until both
    are shown (their results drawn included), how long that took, and how long the model change itself took
    (every tab handling it, before the probe starts). Each round uses fresh caches."""
    from mnist_gui.ml.inference import load_pretrained_predictor
    from mnist_gui.views.state import ActiveModel

    app, w = common.started_window()
    tab = w.inside_tab
    w.tabs.setCurrentWidget(tab)
    predictors = {a: load_pretrained_predictor(a) for a in archs}
    timer, probe = _stall_probe(probe_ms)
    out = []
    for r in range(rounds):
        for arch in archs:
            tab.top_cache.clear()
            tab.map_cache.clear()
            w.tabs.setCurrentWidget(w.draw_tab)
            w.draw_tab.show_digit(w.state.data.x_test[r])  # the drawing the tab explains meanwhile
            w.tabs.setCurrentWidget(tab)
            common.spin(0.5)
            t0 = time.perf_counter()
            w.state.set_model(ActiveModel(predictors[arch], "file", None, None))
            tab.select_unit(r)  # starts the top images; the model change started the map
            switch = time.perf_counter() - t0  # the model change itself, handled by every tab at once
            probe(reset=True)  # from here: the event loop while the work goes on in the background
            deadline = t0 + 600
            while (tab.busy() or tab.unit_view.top_indices is None or tab.map.embedding is None) and time.perf_counter() < deadline:
                app.processEvents()
                time.sleep(0.001)
            seconds = time.perf_counter() - t0
            if tab.unit_view.top_indices is None or tab.map.embedding is None:
                raise RuntimeError(f"the Inside tab did not finish its work for the {arch} within 600 s")
            out.append({"arch": arch, "stall_s": probe(), "seconds": seconds, "switch_s": switch})
    timer.stop()
    w.close()
    return {"runs": out}


MEASURES = {f.__name__: f for f in (window_visible, idle, drawing, recipe_eval, gui_train, inside_compute)}

if __name__ == "__main__":
    raise SystemExit(common.main(MEASURES))
