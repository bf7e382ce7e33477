"""Measures of the two architectures side by side (issue 12): the CNN preset's accuracy and speed, both
shipped models on digits drawn on the canvas, and the exports.

``python -m benchmarks.arch MEASURE [key=JSON …]`` prints one JSON line; ``benchmarks/run.py`` makes the
figures from it. Every measure runs in a fresh process (its own TensorFlow, its own temp user folder).

- ``accuracy``: the ``cnn`` preset trained (seed 42, full MNIST) → test accuracy;
- ``epoch_time``: CNN preset vs default-MLP preset, interleaved runs in one process, steady-state epoch seconds;
- ``throughput``: the project's CNN training (the preset, and the preset without augmentation) vs a bare
  Keras-default ``fit`` of the same network, interleaved, seconds of training per run;
- ``drawing``: 1000 test digits drawn on the real canvas, read by the shipped CNN and MLP; seconds from the
  end of a drawing to both models' answers;
- ``export``: each shipped model exported as ``.keras``, SavedModel and TFLite, checked on 1,000 test digits.
"""

from __future__ import annotations

from benchmarks import common  # first: the app's environment before Qt, numpy and TensorFlow load

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def _data(limit: int | None = None):
    from mnist_gui.ml.data import load_mnist

    return load_mnist().limited(limit)


def _epoch_seconds_reporter():
    from mnist_gui.ml.training import TrainingReporter

    class EpochTimes(TrainingReporter):
        def __init__(self) -> None:
            self.seconds: list[float] = []

        def epoch(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
            self.seconds.append(seconds)

    return EpochTimes()


def accuracy(epochs: int | None = None, limit: int | None = None, seed: int = 42) -> dict:
    """Test accuracy of a training run with the ``cnn`` preset (its 10 epochs unless ``epochs``), not recorded."""
    from mnist_gui.ml.training import TrainingConfig, run_training

    cfg = TrainingConfig.preset_config("cnn").with_(seed=seed)
    if epochs is not None:
        cfg = cfg.with_(epochs=epochs)
    d = _data(limit)
    r = run_training(cfg, d, tempfile.mkdtemp(), record=False)
    return {"test_accuracy": r.test_accuracy, "epochs": cfg.epochs, "best_epoch": r.best_epoch, "seconds": r.seconds,
            "n_train": len(d.x_train), "n_test": len(d.x_test)}


def epoch_time(epochs: int = 3, rounds: int = 3, limit: int | None = None) -> dict:
    """CNN preset vs default-MLP preset (each with its own augmentation and settings), ``rounds`` × (MLP run,
    CNN run) of ``epochs`` epochs each, the order alternating per round. Epoch 1 (tracing) is left out: each
    run gives the median of its later epochs' seconds."""
    from mnist_gui.ml.training import TrainingConfig, run_training

    d = _data(limit)

    def run(preset: str) -> float:
        rep = _epoch_seconds_reporter()
        run_training(TrainingConfig.preset_config(preset).with_(epochs=epochs), d, tempfile.mkdtemp(), rep, record=False)
        return statistics.median(rep.seconds[1:] or rep.seconds)

    out = []
    for i in range(rounds):
        order = ("default", "cnn") if i % 2 == 0 else ("cnn", "default")
        r = {p: run(p) for p in order}
        out.append({"mlp": r["default"], "cnn": r["cnn"]})
    return {"epochs": epochs, "rounds": out}


def throughput(epochs: int = 3, rounds: int = 3, limit: int | None = None) -> dict:
    """The project's CNN training against a bare Keras-default ``fit`` of the same network (``build_cnn``; 'adam',
    categorical cross-entropy, batch 128, validation_split 0.2, ModelCheckpoint on val_loss), same data and epochs.

    Two project sides: the ``cnn`` preset as shipped (with its in-graph augmentation) and the same preset
    without augmentation (like for like: the bare fit has none). After one 1-epoch warm-up of each side,
    ``rounds`` rounds of the three runs, the order rotating per round: seconds of ``fit`` per run.
    """
    import keras

    from mnist_gui.ml.cnn import build_cnn
    from mnist_gui.ml.training import TrainingConfig, configure_threads, prepare, run_training

    d = _data(limit)
    p = prepare(d)
    configure_threads()  # the project's runs set TF's thread pools; the bare fit must run with the same ones
    cfg = TrainingConfig.preset_config("cnn")

    def bare(n: int) -> float:
        m = build_cnn(seed=1)
        m.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        ck = keras.callbacks.ModelCheckpoint(tempfile.mkdtemp() + "/b.keras", monitor="val_loss", save_best_only=True)
        t = time.perf_counter()
        m.fit(p.x_train, p.y_train, batch_size=128, epochs=n, validation_split=0.2, callbacks=[ck], verbose=0)
        return time.perf_counter() - t

    def project(n: int) -> float:
        return run_training(cfg.with_(epochs=n), d, tempfile.mkdtemp(), record=False).seconds

    def project_noaug(n: int) -> float:
        return run_training(cfg.with_(epochs=n, augment=False), d, tempfile.mkdtemp(), record=False).seconds

    sides = (bare, project, project_noaug)
    for side in sides:
        side(1)
    out = []
    for i in range(rounds):
        order = sides[i % 3:] + sides[:i % 3]
        out.append({side.__name__: side(epochs) for side in order})
    return {"epochs": epochs, "batch_size": cfg.batch_size, "rounds": out}


def drawing(n: int = 1000, rounds: int = 3) -> dict:
    """Digits drawn on the real canvas with mouse events (as ``benchmarks.gui.drawing``), each drawing read by
    both shipped numpy predictors (MLP and CNN): the latency of a round is, per digit, the seconds from the end
    of the drawing to both answers (``to_mnist`` + MLP + CNN). Round 0 (seed 0: the 1000 digits of
    ``drawn_digit_accuracy``) also gives both models' accuracy on those drawings; rounds 1, 2, … draw other digits.
    """
    from benchmarks.drawn import draw_test_digits
    from mnist_gui.ml.inference import load_pretrained_predictor

    app, w = common.started_window()
    mlp, cnn = load_pretrained_predictor("mlp"), load_pretrained_predictor("cnn")
    data = _data()
    canvas = w.draw_tab.canvas

    def both(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return mlp.predict(x), cnn.predict(x)

    for k in range(20):  # warm-up (first calls allocate), not timed
        both(data.x_test[k : k + 1] / 255.0)
    xs, idx, latencies = draw_test_digits(canvas, data.x_test, n, seed=0, predict=both, every=app.processEvents)
    y = data.y_test[idx]
    acc = {"cnn_drawn_accuracy": float((cnn.predict(xs).argmax(1) == y).mean()),
           "mlp_drawn_accuracy": float((mlp.predict(xs).argmax(1) == y).mean()),
           "cnn_clean_accuracy": float((cnn.predict(data.x_test[idx] / 255.0).argmax(1) == y).mean()),
           "disagree": float((cnn.predict(xs).argmax(1) != mlp.predict(xs).argmax(1)).mean())}
    rounds_s = [latencies]
    for seed in range(1, rounds):
        rounds_s.append(draw_test_digits(canvas, data.x_test, n, seed=seed, predict=both, every=app.processEvents)[2])
    w.close()
    return {"latency_rounds": rounds_s, **acc}


def export(n_check: int = 1000) -> dict:
    """Each shipped ``.keras`` model (MLP and CNN) exported in each format to a temp folder with
    ``mnist_gui.ml.export.export_model``, which loads the export back and compares it with the model on the
    first ``n_check`` MNIST test digits: its max |probability difference| and seconds per export."""
    from mnist_gui.ml.export import FORMATS, export_model
    from mnist_gui.paths import pretrained_model_path

    out_dir = Path(tempfile.mkdtemp(prefix="export-"))
    runs = []
    for arch in ("mlp", "cnn"):
        for fmt in FORMATS:
            target = out_dir / {"keras": f"{arch}.keras", "saved_model": f"{arch}_saved_model", "tflite": f"{arch}.tflite"}[fmt]
            r = export_model(pretrained_model_path(arch), fmt, out=target, n_check=n_check)
            runs.append({"arch": arch, "format": fmt, "max_abs_diff": r.max_abs_diff, "n_checked": r.n_checked,
                         "tolerance": r.tolerance, "seconds": r.seconds})
    return {"runs": runs}


MEASURES = {f.__name__: f for f in (accuracy, epoch_time, throughput, drawing, export)}

if __name__ == "__main__":
    raise SystemExit(common.main(MEASURES))
