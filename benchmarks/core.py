"""Headless measures (no window): accuracy, training speed, fine-tuning, prediction latency.

``python -m benchmarks.core MEASURE [key=JSON …]`` prints one JSON line; ``benchmarks/run.py`` makes the
figures from it. Every measure runs in a fresh process (its own TensorFlow, its own temp user folder).
"""

from __future__ import annotations

from benchmarks import common  # first: the app's environment before numpy and TensorFlow load

import statistics
import tempfile
import time

import numpy as np


def accuracy() -> dict:
    """Test accuracy of a full training run with each of the two presets."""
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.training import TrainingConfig, run_training

    d = load_mnist()
    return {name: run_training(TrainingConfig.preset_config(name), d, tempfile.mkdtemp()).test_accuracy
            for name in ("default", "notebook")}


def throughput(epochs: int = 3, rounds: int = 5) -> dict:
    """The project's training run against a bare notebook-style ``model.fit`` (Keras defaults, ModelCheckpoint).

    After one warm-up of each (graph tracing, caches), ``rounds`` pairs, the order alternating within
    each pair so that a drift of the machine's speed hits both sides: seconds of training per side.
    """
    import keras

    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.model import ModelSpec, build_model
    from mnist_gui.ml.training import TrainingConfig, prepare, run_training

    d = load_mnist()
    p = prepare(d)

    def bare() -> float:
        m = build_model(ModelSpec(), seed=1)
        m.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
        ck = keras.callbacks.ModelCheckpoint(tempfile.mkdtemp() + "/b.keras", monitor="val_loss", save_best_only=True)
        t = time.perf_counter()
        m.fit(p.x_train, p.y_train, batch_size=128, epochs=epochs, validation_split=0.2, callbacks=[ck], verbose=0)
        return time.perf_counter() - t

    def project() -> float:
        return run_training(TrainingConfig.preset_config("notebook").with_(epochs=epochs), d, tempfile.mkdtemp()).seconds

    bare()
    project()
    pairs = []
    for i in range(rounds):
        first, second = (bare, project) if i % 2 == 0 else (project, bare)
        pairs.append({first.__name__: first(), second.__name__: second()})
    return {"epochs": epochs, "pairs": pairs}


def finetune(seeds: int = 3) -> dict:
    """Fine-tune the shipped model on 50 drawings of a style MNIST lacks (``benchmarks/style.py``: 5 per
    digit); measure on 1000 other drawings of that style (100 per digit) and on the MNIST test set.
    One run per fine-tuning seed, the app's default settings.
    """
    from benchmarks.style import style_set
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.finetune import FinetuneConfig, run_finetune
    from mnist_gui.paths import default_model_path

    d = load_mnist()
    tx, ty = style_set(5, seed=1)
    hx, hy = style_set(100, seed=2)
    runs = []
    for seed in range(seeds):
        r = run_finetune(default_model_path(), d, tx, ty, hx, hy, tempfile.mkdtemp() + "/ft.keras", FinetuneConfig(seed=seed))
        runs.append({"mine_before": r.mine_before, "mine_after": r.mine_after, "mnist_before": r.mnist_before,
                     "mnist_after": r.mnist_after, "seconds": r.seconds})
    return {"runs": runs}


def augment_throughput(epochs: int = 4, rounds: int = 3) -> dict:
    """Steady-state training speed (samples/s) with on-the-fly augmentation and without (default preset).

    Epoch 1 (tracing, XLA compilation) is left out: it is paid once per run, not per epoch. Runs
    alternate plain/augmented ``rounds`` times; each run gives its median epoch.
    """
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.training import TrainingConfig, TrainingReporter, run_training

    class EpochTimes(TrainingReporter):
        def __init__(self) -> None:
            self.seconds: list[float] = []

        def epoch(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
            self.seconds.append(seconds)

    d = load_mnist()
    out: dict[str, list[float]] = {"plain": [], "augment": []}
    for _ in range(rounds):
        for aug in (False, True):
            rep = EpochTimes()
            r = run_training(TrainingConfig.preset_config("default").with_(epochs=epochs, augment=aug), d, tempfile.mkdtemp(), rep)
            n_fit = len(d.x_train) - int(len(d.x_train) * r.config.validation_split)
            out["augment" if aug else "plain"].append(n_fit / statistics.median(rep.seconds[1:] or rep.seconds))
    return out


def predict(calls: int = 2000) -> dict:
    """Seconds per single-digit prediction with the shipped model's numpy predictor (after 100 warm-up calls)."""
    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.inference import load_default_predictor

    p = load_default_predictor()
    x = load_mnist().x_test[:calls].astype(np.float32) / 255
    for i in range(100):
        p.predict(x[i : i + 1])
    times = []
    for i in range(calls):
        t = time.perf_counter()
        p.predict(x[i : i + 1])
        times.append(time.perf_counter() - t)
    return {"seconds": times}


def headless_train(epochs: int = 3) -> dict:
    """The baseline of the in-app training figures: the default preset run without a window."""
    import resource

    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.training import TrainingConfig, run_training

    r = run_training(TrainingConfig.preset_config("default").with_(epochs=epochs), load_mnist(), tempfile.mkdtemp())
    return {"sps": r.samples_per_second, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def recipe_train(out_dir: str, seeds: tuple[int, ...] = (42, 43), epochs: int | None = None) -> dict:
    """The default preset with and without augmentation, one model per seed, saved under ``out_dir``."""
    from pathlib import Path

    from mnist_gui.ml.data import load_mnist
    from mnist_gui.ml.training import TrainingConfig, run_training

    d = load_mnist()
    runs = []
    for seed in seeds:
        for aug in (False, True):
            cfg = TrainingConfig.preset_config("default").with_(augment=aug, seed=seed)
            if epochs is not None:
                cfg = cfg.with_(epochs=epochs)
            r = run_training(cfg, d, Path(out_dir) / f"{'augment' if aug else 'plain'}-{seed}")
            runs.append({"recipe": "augment" if aug else "plain", "seed": seed, "path": str(r.model_path),
                         "test_accuracy": r.test_accuracy})
    return {"runs": runs}


MEASURES = {f.__name__: f for f in (accuracy, throughput, finetune, augment_throughput, predict, headless_train, recipe_train)}

if __name__ == "__main__":
    raise SystemExit(common.main(MEASURES))
