"""Training as plain functions (the notebook's steps 8-11), no Qt.

``run_training`` prepares the data, builds and compiles the network (``cfg.arch``: the MLP or the CNN),
evaluates it untrained, fits with a progress reporter and a stop ``threading.Event`` on ``fit_size``
images (it slices the validation set itself), checkpoints the best ``val_loss`` atomically, loads the best
checkpoint back, evaluates it and records the run (``ml/runs.py``). The GUI's worker and the CLI both call it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnist_gui.errors import ModelError
from mnist_gui.ml.config import (  # noqa: F401 (re-exported: callers import these from here)
    ARCHS, MAX_SEED, PRESETS, TrainingConfig, check_seed, fit_size, steps_per_epoch,
)
from mnist_gui.ml.data import Mnist, one_hot, rescale
from mnist_gui.ml.model import build_network, make_optimizer, summarize_config
from mnist_gui.ml.progress import StopReason, TrainingReporter, floats, progress_callback

log = logging.getLogger(__name__)


@dataclass
class TrainingResult:
    config: TrainingConfig
    history: dict[str, list[float]]
    test_accuracy_before: float
    test_accuracy: float
    test_loss: float
    best_epoch: int  # 1-based; 0 = no checkpoint
    model_path: Path
    stop: StopReason
    seconds: float
    samples_per_second: float
    predictor: Any = None  # the numpy predictor of the best checkpoint (NumpyPredictor or NumpyCnnPredictor)
    model: Any = None  # the loaded best Keras model (stays on the training thread)
    run_id: str = ""  # the run's record in the user data folder ("" when not recorded)
    train_images: int = 0  # the images the run fit on (the training set less the validation split)

    @property
    def stopped(self) -> bool:
        return self.stop.stopped

    @property
    def stop_reason(self) -> str:
        """The stop's text ("" when completed): kept for callers written before ``stop``."""
        return self.stop.text

    def meta(self) -> dict[str, Any]:
        return {
            "arch": self.config.arch,
            "config": self.config.to_dict(),
            "history": self.history,
            "test_accuracy_before": self.test_accuracy_before,
            "test_accuracy": self.test_accuracy,
            "test_loss": self.test_loss,
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "stop_reason": self.stop_reason,
            "train_seconds": self.seconds,
            "samples_per_second": self.samples_per_second,
            "train_images": self.train_images,
        }


@dataclass
class Prepared:
    """The notebook's steps 4-5 applied: float32 in [0, 1] and one-hot labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def prepare(data: Mnist) -> Prepared:
    return Prepared(rescale(data.x_train), one_hot(data.y_train), rescale(data.x_test), one_hot(data.y_test))


def configure_threads() -> None:
    """Pin TF's thread pools to the machine's cores (set once, before any op runs)."""
    import os

    import tensorflow as tf

    cores = os.cpu_count() or 1
    intra, inter = cores, min(2, cores)
    override = os.environ.get("MNIST_GUI_TF_THREADS", "")  # "intra,inter": for measuring other splits
    if override:
        intra, inter = (int(v) for v in override.split(","))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:
        pass  # already initialised: keep what is set


def compile_model(model: Any, cfg: TrainingConfig, steps_per_epoch: int) -> None:
    """Loss, optimizer (with the cosine schedule over ``steps_per_epoch · epochs`` steps) and accuracy."""
    import keras

    from mnist_gui.ml.cnn import CNN_TRAINING

    lr: Any = cfg.learning_rate
    if cfg.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, decay_steps=max(1, steps_per_epoch * cfg.epochs))
    # XLA on CPU makes the CNN's epochs 2-7x slower (its max-pool gradient); the MLP keeps Keras' choice.
    jit: Any = CNN_TRAINING.jit_compile if cfg.arch == "cnn" else "auto"
    model.compile(
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        optimizer=make_optimizer(cfg.optimizer, lr),
        metrics=["accuracy"],
        steps_per_execution=cfg.steps_per_execution,
        jit_compile=jit,
    )


TENSOR_ROWS = 2000  # rows per conversion in as_tensor: ~6 MB, the GIL held for a few milliseconds


def as_tensor(a: np.ndarray) -> Any:
    """``a`` as a TensorFlow tensor, converted a slice at a time.

    Keras converts numpy inputs with one ``tf.convert_to_tensor``, which holds the GIL for the whole copy:
    ~90 ms for the training set, a frozen window for as long. Slices hold it a few milliseconds each; the
    concatenation is a TensorFlow op, run without the GIL.
    """
    import tensorflow as tf

    if len(a) <= TENSOR_ROWS:
        return tf.convert_to_tensor(a)
    return tf.concat([tf.convert_to_tensor(a[i : i + TENSOR_ROWS]) for i in range(0, len(a), TENSOR_ROWS)], axis=0)


def batches(x: Any, y: Any = None, batch_size: int = 1024, *, shuffle_seed: int | None = None) -> Any:
    """``x`` (and ``y``) in batches, as the tf.data pipeline ``fit``/``evaluate``/``predict`` get, autotuning off.

    Given arrays, Keras builds a pipeline of its own with AUTOTUNE, whose tuning thread sleeps in periods that
    grow to seconds and is joined when an epoch's iterator is deleted: an epoch boundary then stalls up to
    ~2.5 s with every core idle (3 of 6 three-epoch runs of the default preset; 0 of 6 with autotuning off).
    This is Keras' pipeline otherwise: batches of indices (reshuffled every epoch, reproducibly from
    ``shuffle_seed``) gathered from the whole tensors, which are referenced, not copied.
    """
    import tensorflow as tf

    data = (x,) if y is None else (x, y)
    n = int(x.shape[0])
    index = tf.data.Dataset.range(n)
    if shuffle_seed is not None:
        index = index.shuffle(n, seed=shuffle_seed, reshuffle_each_iteration=True)
    whole = tf.data.Dataset.from_tensors(tuple(a if tf.is_tensor(a) else as_tensor(np.asarray(a)) for a in data)).repeat()
    ds = tf.data.Dataset.zip(index.batch(batch_size), whole).map(
        lambda i, d: tuple(tf.gather(a, i) for a in d) if y is not None else tf.gather(d[0], i))
    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.apply_default_optimizations = False  # as Keras: no rewrite per iterator
    return ds.prefetch(2).with_options(options)


def evaluate(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) on the given set."""
    loss, acc = model.evaluate(batches(x, y, 1024), verbose=0)
    return float(loss), float(acc)


def evaluate_untrained(cfg: TrainingConfig, data: Mnist) -> float:
    """Test accuracy of the network ``cfg`` builds before any training (the notebook's step before fitting; ~10 %).

    Builds with ``cfg.seed``, which sets Keras' global seed: callers must not run it alongside a training run.
    """
    cfg.validate()
    configure_threads()
    p = prepare(data)
    model = build_network(cfg, seed=cfg.seed)
    compile_model(model, cfg, 1)
    return evaluate(model, as_tensor(p.x_test), as_tensor(p.y_test))[1]


def _checkpoint_callback(cfg: TrainingConfig, reporter: TrainingReporter, ckpt_path: Path, saved_model: Any,
                         record: Any, n_fit: int) -> Any:
    import keras

    from mnist_gui.ml.model_io import save_model

    class BestCheckpoint(keras.callbacks.Callback):
        """Saves the model when val_loss improves, atomically (temp file + rename), with a provisional ``.json``.

        The ``.json`` (and the run record) is written with every checkpoint so it is there even if the run is
        then killed or interrupted; the end of the run replaces it with the full record (test accuracy and all).
        """

        def __init__(self) -> None:
            super().__init__()
            self.best = math.inf
            self.best_epoch = 0
            self.history: dict[str, list[float]] = {}

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = floats(logs)
            for k, v in logs.items():
                self.history.setdefault(k, []).append(v)
            val_loss = logs.get("val_loss", math.nan)
            if not math.isnan(val_loss) and val_loss < self.best:
                reporter.message(f"Epoch {epoch + 1}: val_loss improved from {self.best:.5f} to {val_loss:.5f}, saving model to {ckpt_path}")
                self.best, self.best_epoch = val_loss, epoch + 1
                meta = {"arch": cfg.arch, "config": cfg.to_dict(), "history": self.history, "best_epoch": self.best_epoch,
                        "best_val_loss": val_loss, "train_images": n_fit, "complete": False}
                save_model(saved_model, ckpt_path, meta)  # the bare model (no training-only wrapper), its files all or none
                if record is not None:
                    record.write(meta)
                reporter.checkpoint(epoch, val_loss, ckpt_path)
            else:
                reporter.message(f"Epoch {epoch + 1}: val_loss did not improve from {self.best:.5f}")

    return BestCheckpoint()


def run_training(cfg: TrainingConfig, data: Mnist, out_dir: str | Path | None = None, reporter: TrainingReporter | None = None,
                 stop_event: threading.Event | None = None, *, name: str = "", record: bool = True) -> TrainingResult:
    """Train, checkpoint the best val_loss to ``out_dir/best.keras``, reload it and evaluate it.

    ``out_dir`` defaults to a new ``runs/run-<timestamp>`` folder in the user data folder. With ``record``
    (the default) the run is recorded there for the Runs list (``ml/runs.py``): in ``out_dir`` itself when
    it is a run folder, else in a new run folder that points to ``out_dir``. ``name`` names the record.
    """
    reporter = reporter or TrainingReporter()
    stop_event = stop_event or threading.Event()
    cfg.validate(len(data.x_train))
    from mnist_gui.ml.model_io import prepare_output_dir, remove_empty_dirs
    from mnist_gui.ml.runs import RunWriter
    from mnist_gui.ml.runs import clean_name as check_run_name  # the Runs list's rule for names
    from mnist_gui.paths import new_run_dir

    if record and name:
        check_run_name(name)  # a bad name is refused before any folder is made
    out = Path(out_dir) if out_dir is not None else new_run_dir("run")
    created = prepare_output_dir(out)  # an unwritable folder is found now, not after the first epoch
    try:
        writer = RunWriter(out / "best.keras", name) if record else None
        return _train(cfg, data, out / "best.keras", reporter, stop_event, writer)
    except BaseException:  # the record is only written with a checkpoint, which a failed run keeps
        remove_empty_dirs(created)  # a run that kept nothing leaves no empty folder behind
        raise


def _train(cfg: TrainingConfig, data: Mnist, ckpt_path: Path, reporter: TrainingReporter,
           stop_event: threading.Event, writer: Any) -> TrainingResult:
    p = prepare(data)
    reporter.message(f"x_train: {p.x_train.shape}, {len(p.x_train)} train samples; x_test: {p.x_test.shape}, {len(p.x_test)} test samples")
    reporter.message(f"First ten labels: {' '.join(str(int(v)) for v in data.y_train[:10])}")
    for v, row in zip(data.y_train[:10], p.y_train[:10]):
        reporter.message(f"  {int(v)} -> {' '.join(str(int(c)) for c in row)}")

    configure_threads()
    import keras

    model = build_network(cfg, seed=cfg.seed)
    n_fit = fit_size(len(p.x_train), cfg.validation_split)
    steps = steps_per_epoch(len(p.x_train), cfg.validation_split, cfg.batch_size)
    fit_model = model
    if cfg.augment:
        from mnist_gui.ml.augment import augmentation_layer

        # Augmentation runs inside the compiled step, in a wrapper that shares the model's weights; the
        # checkpoint saves the bare model. Validation (training=False) sees the images unchanged.
        fit_model = keras.Sequential([keras.Input((28, 28)), augmentation_layer(cfg.seed), model], name="augmented")
    compile_model(fit_model, cfg, steps)
    if fit_model is not model:
        # One optimizer for both, so the bare model's checkpoint carries the optimizer state that trained it.
        model.compile(loss=fit_model.loss, optimizer=fit_model.optimizer, metrics=["accuracy"],
                      steps_per_execution=cfg.steps_per_execution, jit_compile=fit_model.jit_compile)
    reporter.message(summarize_config(cfg).text())

    # the arrays as tensors up front (see as_tensor): the window stays responsive while they are copied
    x_fit, y_fit = as_tensor(p.x_train[:n_fit]), as_tensor(p.y_train[:n_fit])
    x_val, y_val = as_tensor(p.x_train[n_fit:]), as_tensor(p.y_train[n_fit:])
    x_test, y_test = as_tensor(p.x_test), as_tensor(p.y_test)
    _, acc_before = evaluate(model, x_test, y_test)
    reporter.message(f"Test accuracy before training: {acc_before:.2%}")

    progress = progress_callback(reporter, stop_event, cfg.epochs, steps)
    best = _checkpoint_callback(cfg, reporter, ckpt_path, model, writer, n_fit)
    t0 = time.perf_counter()
    # Keras' own validation_split would be computed by Keras; the split is sliced here so fit_size is the truth.
    hist = fit_model.fit(batches(x_fit, y_fit, cfg.batch_size, shuffle_seed=cfg.seed), epochs=cfg.epochs,
                         validation_data=batches(x_val, y_val, cfg.batch_size), shuffle=False,  # batches shuffles
                         callbacks=[progress, best], verbose=0)
    seconds = time.perf_counter() - t0
    epochs_run = len(hist.history.get("loss", []))
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}

    if best.best_epoch == 0:
        why = progress.reason.text or "no epoch finished"
        raise ModelError(f"training ended before any checkpoint was saved ({why}); nothing to keep")
    reporter.message(f"Loading the best checkpoint (epoch {best.best_epoch}, val_loss {best.best:.5f}) from {ckpt_path}")
    best_model = keras.models.load_model(ckpt_path, safe_mode=True)
    test_loss, test_acc = evaluate(best_model, x_test, y_test)
    from mnist_gui.ml.inference import predictor_from_keras

    result = TrainingResult(
        config=cfg, history=history, test_accuracy_before=acc_before, test_accuracy=test_acc, test_loss=test_loss,
        best_epoch=best.best_epoch, model_path=ckpt_path, stop=progress.reason, seconds=seconds,
        samples_per_second=(epochs_run * n_fit / seconds) if seconds > 0 else 0.0,
        predictor=predictor_from_keras(best_model, name=ckpt_path.name), model=best_model, train_images=n_fit,
    )
    from mnist_gui.ml.model_io import write_metadata

    write_metadata(ckpt_path, {**result.meta(), "complete": True})
    if writer is not None:
        result.run_id = writer.write({**result.meta(), "complete": True})
    if result.stopped:
        reporter.message(f"Training ended early ({result.stop_reason}); the best checkpoint so far (epoch {best.best_epoch}) "
                         f"was kept: {ckpt_path} and {ckpt_path.with_suffix('.json').name}")
    reporter.message(f"Test accuracy: {test_acc:.2%}")
    return result
