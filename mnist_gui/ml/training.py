"""Training as plain functions (the notebook's steps 8-11), no Qt.

``run_training`` prepares the data, builds and compiles the model, evaluates it untrained, fits with a
progress reporter and a stop ``threading.Event``, checkpoints the best ``val_loss`` atomically, loads the
best checkpoint back and evaluates it. The GUI's worker and the CLI both call it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml.data import Mnist, one_hot, rescale
from mnist_gui.ml.model import ModelSpec, build_model, make_optimizer, summarize

log = logging.getLogger(__name__)

PRESETS = ("notebook", "default")
MAX_SEED = 2**32 - 1  # numpy's and Keras' global seeding accept 0 … 2**32 - 1


def check_seed(seed: object) -> None:
    """A ConfigError unless ``seed`` is a whole number numpy, TensorFlow and Keras all accept."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed must be a whole number from 0 to {MAX_SEED} (got {seed})")


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a run depends on. ``preset()`` gives the notebook's and the project's default."""

    model: ModelSpec = field(default_factory=ModelSpec)
    epochs: int = 10
    batch_size: int = 128
    validation_split: float = 0.2
    seed: int = 42
    lr_schedule: str = "constant"  # or "cosine"
    label_smoothing: float = 0.0
    # Batches per compiled TF call: Keras' per-step Python overhead is a large share of a step for this
    # small model. Progress callbacks and stop checks then come every N batches (a fraction of a second).
    steps_per_execution: int = 32
    augment: bool = False  # random affine + stroke-width variation of training images (see ml/augment.py)
    preset: str = "custom"

    @staticmethod
    def preset_config(name: str) -> TrainingConfig:
        if name == "notebook":
            return TrainingConfig(model=ModelSpec(optimizer="rmsprop", learning_rate=0.001), preset="notebook")
        if name == "default":
            # Same architecture; Adam with cosine decay and label smoothing: +0.5 points over the notebook.
            # Augmentation: +0.75 points on digits drawn on the canvas, test accuracy unchanged (2 seeds,
            # benchmarks/run.py augment_recipe).
            return TrainingConfig(
                model=ModelSpec(optimizer="adam", learning_rate=0.001),
                lr_schedule="cosine",
                label_smoothing=0.1,
                augment=True,
                preset="default",
            )
        raise ConfigError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")

    def validate(self, n_train: int | None = None) -> None:
        self.model.validate()
        check_seed(self.seed)
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= 1000:
            raise ConfigError(f"epochs must be a whole number from 1 to 1000 (got {self.epochs})")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(f"batch size must be a whole number ≥ 1 (got {self.batch_size})")
        if not 0.0 < self.validation_split < 1.0:
            raise ConfigError(f"validation split must be between 0 and 1, exclusive (got {self.validation_split})")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ConfigError(f"learning-rate schedule must be 'constant' or 'cosine' (got {self.lr_schedule!r})")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label smoothing must be in [0, 1) (got {self.label_smoothing})")
        if not isinstance(self.steps_per_execution, int) or self.steps_per_execution < 1:
            raise ConfigError("steps per execution must be ≥ 1")
        if n_train is not None:
            n_fit = n_train - int(n_train * self.validation_split)
            n_val = n_train - n_fit
            if n_val < 1 or n_fit < 1:
                raise ConfigError(f"validation split {self.validation_split} of {n_train} images leaves no training or no validation data")
            if self.batch_size > n_fit:
                raise ConfigError(f"batch size {self.batch_size} is larger than the {n_fit} training images")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainingConfig:
        known = {f for f in cls.__dataclass_fields__ if f != "model"}
        kwargs = {k: v for k, v in d.items() if k in known}
        return cls(model=ModelSpec.from_dict(d.get("model", {})), **kwargs)

    def with_(self, **changes: Any) -> TrainingConfig:
        return replace(self, **changes)


class TrainingReporter:
    """Receives progress. Methods are called on the training thread: implementations only forward."""

    def message(self, text: str) -> None:
        """One line of the Keras-style log."""

    def batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None:
        """Running loss/accuracy after ``step`` of ``steps`` batches of epoch ``epoch`` (0-based)."""

    def epoch(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        """End of an epoch, with val metrics."""

    def checkpoint(self, epoch: int, val_loss: float, path: Path) -> None:
        """A new best checkpoint was written."""


@dataclass
class TrainingResult:
    config: TrainingConfig
    history: dict[str, list[float]]
    test_accuracy_before: float
    test_accuracy: float
    test_loss: float
    best_epoch: int  # 1-based; 0 = no checkpoint
    model_path: Path
    stopped: bool
    stop_reason: str
    seconds: float
    samples_per_second: float
    model: Any = None  # the loaded best Keras model

    def meta(self) -> dict[str, Any]:
        return {
            "config": self.config.to_dict(),
            "history": self.history,
            "test_accuracy_before": self.test_accuracy_before,
            "test_accuracy": self.test_accuracy,
            "test_loss": self.test_loss,
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "stop_reason": self.stop_reason,
            "train_seconds": self.seconds,
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
    import keras

    lr: Any = cfg.model.learning_rate
    if cfg.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(cfg.model.learning_rate, decay_steps=max(1, steps_per_epoch * cfg.epochs))
    model.compile(
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        optimizer=make_optimizer(cfg.model.optimizer, lr),
        metrics=["accuracy"],
        steps_per_execution=cfg.steps_per_execution,
    )


def evaluate(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) on the given set."""
    loss, acc = model.evaluate(x, y, batch_size=1024, verbose=0)
    return float(loss), float(acc)


def _make_callbacks(cfg: TrainingConfig, reporter: TrainingReporter, stop_event: threading.Event,
                    ckpt_path: Path, steps: int, saved_model: Any) -> tuple[Any, Any]:
    import keras

    from mnist_gui.ml.model_io import save_model, write_metadata

    class Progress(keras.callbacks.Callback):
        """Forwards progress, honours the stop event, stops on a NaN loss."""

        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.t0 = 0.0
            self.reason = ""

        def _check_stop(self) -> None:
            if stop_event.is_set() and not self.model.stop_training:
                self.model.stop_training = True
                self.reason = "stopped by user"

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch, self.t0 = epoch, time.perf_counter()
            reporter.message(f"Epoch {epoch + 1}/{cfg.epochs}")
            self._check_stop()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            logs = {k: float(v) for k, v in (logs or {}).items()}
            if any(math.isnan(v) or math.isinf(v) for v in logs.values()):
                self.model.stop_training = True
                self.reason = "the loss became NaN/infinite (learning rate too high?)"
            # With steps_per_execution, Keras reports the last step of the chunk, which can overshoot.
            reporter.batch(self.epoch, min(batch + 1, steps), steps, logs)
            self._check_stop()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = {k: float(v) for k, v in (logs or {}).items()}
            dt = time.perf_counter() - self.t0
            parts = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k != "learning_rate")
            reporter.message(f"{steps}/{steps} - {dt:.1f}s - {parts}")
            reporter.epoch(epoch, logs, dt)

    class BestCheckpoint(keras.callbacks.Callback):
        """Saves the model when val_loss improves, atomically (temp file + rename), with a provisional ``.json``.

        The ``.json`` is written with every checkpoint so it is there even if the run is then killed or
        interrupted; the end of the run replaces it with the full record (test accuracy and all).
        """

        def __init__(self) -> None:
            super().__init__()
            self.best = math.inf
            self.best_epoch = 0
            self.history: dict[str, list[float]] = {}

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = {k: float(v) for k, v in (logs or {}).items()}
            for k, v in logs.items():
                self.history.setdefault(k, []).append(v)
            val_loss = logs.get("val_loss", math.nan)
            if not math.isnan(val_loss) and val_loss < self.best:
                reporter.message(f"Epoch {epoch + 1}: val_loss improved from {self.best:.5f} to {val_loss:.5f}, saving model to {ckpt_path}")
                self.best, self.best_epoch = val_loss, epoch + 1
                save_model(saved_model, ckpt_path)  # the bare model, without a training-only wrapper
                write_metadata(ckpt_path, {"config": cfg.to_dict(), "history": self.history, "best_epoch": self.best_epoch,
                                           "best_val_loss": val_loss, "complete": False})
                reporter.checkpoint(epoch, val_loss, ckpt_path)
            else:
                reporter.message(f"Epoch {epoch + 1}: val_loss did not improve from {self.best:.5f}")

    return Progress(), BestCheckpoint()


def run_training(cfg: TrainingConfig, data: Mnist, out_dir: str | Path, reporter: TrainingReporter | None = None,
                 stop_event: threading.Event | None = None) -> TrainingResult:
    """Train, checkpoint the best val_loss to ``out_dir/best.keras``, reload it and evaluate it."""
    reporter = reporter or TrainingReporter()
    stop_event = stop_event or threading.Event()
    cfg.validate(len(data.x_train))
    from mnist_gui.ml.model_io import prepare_output_dir, remove_empty_dirs

    out = Path(out_dir)
    created = prepare_output_dir(out)  # an unwritable folder is found now, not after the first epoch
    try:
        return _train(cfg, data, out / "best.keras", reporter, stop_event)
    except BaseException:
        remove_empty_dirs(created)  # a run that kept nothing leaves no empty folder behind
        raise


def _train(cfg: TrainingConfig, data: Mnist, ckpt_path: Path, reporter: TrainingReporter,
           stop_event: threading.Event) -> TrainingResult:

    p = prepare(data)
    reporter.message(f"x_train: {p.x_train.shape}, {len(p.x_train)} train samples; x_test: {p.x_test.shape}, {len(p.x_test)} test samples")
    reporter.message(f"First ten labels: {' '.join(str(int(v)) for v in data.y_train[:10])}")
    for v, row in zip(data.y_train[:10], p.y_train[:10]):
        reporter.message(f"  {int(v)} -> {' '.join(str(int(c)) for c in row)}")

    configure_threads()
    import keras

    model = build_model(cfg.model, seed=cfg.seed)
    n_fit = len(p.x_train) - int(len(p.x_train) * cfg.validation_split)
    steps = math.ceil(n_fit / cfg.batch_size)
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
                      steps_per_execution=cfg.steps_per_execution)
    reporter.message(summarize(cfg.model).text())

    _, acc_before = evaluate(model, p.x_test, p.y_test)
    reporter.message(f"Test accuracy before training: {acc_before:.2%}")

    progress, best = _make_callbacks(cfg, reporter, stop_event, ckpt_path, steps, model)
    t0 = time.perf_counter()
    hist = fit_model.fit(p.x_train, p.y_train, batch_size=cfg.batch_size, epochs=cfg.epochs,
                         validation_split=cfg.validation_split, callbacks=[progress, best], verbose=0)
    seconds = time.perf_counter() - t0
    epochs_run = len(hist.history.get("loss", []))
    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}

    if best.best_epoch == 0:
        raise ModelError(f"training ended before any checkpoint was saved ({progress.reason or 'no epoch finished'}); nothing to keep")
    reporter.message(f"Loading the best checkpoint (epoch {best.best_epoch}, val_loss {best.best:.5f}) from {ckpt_path}")
    best_model = keras.models.load_model(ckpt_path, safe_mode=True)
    test_loss, test_acc = evaluate(best_model, p.x_test, p.y_test)
    result = TrainingResult(
        config=cfg, history=history, test_accuracy_before=acc_before, test_accuracy=test_acc, test_loss=test_loss,
        best_epoch=best.best_epoch, model_path=ckpt_path, stopped=bool(progress.reason), stop_reason=progress.reason,
        seconds=seconds, samples_per_second=(epochs_run * n_fit / seconds) if seconds > 0 else 0.0, model=best_model,
    )
    from mnist_gui.ml.model_io import write_metadata

    write_metadata(ckpt_path, {**result.meta(), "complete": True})
    if progress.reason:
        reporter.message(f"Training ended early ({progress.reason}); the best checkpoint so far (epoch {best.best_epoch}) "
                         f"was kept: {ckpt_path} and {ckpt_path.with_suffix('.json').name}")
    reporter.message(f"Test accuracy: {test_acc:.2%}")
    return result
