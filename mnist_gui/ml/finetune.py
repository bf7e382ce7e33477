"""Fine-tuning a trained model on the user's own digits, mixed with MNIST so it does not forget MNIST.

Every batch holds a fixed share of the user's tuning digits (drawn with replacement, each draw distorted
anew) and the rest MNIST training images (a fresh sample each epoch, undistorted). A small learning rate and a few epochs
move the model towards the new style; accuracy on held-out own digits and on the MNIST test set is
measured before and after, and the caller decides whether to keep the result. No Qt here.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml.data import Mnist, one_hot, rescale
from mnist_gui.ml.model import model_input
from mnist_gui.ml.config import check_learning_rate, check_seed
from mnist_gui.ml.progress import StopReason, TrainingReporter, progress_callback
from mnist_gui.ml.training import batches, configure_threads

log = logging.getLogger(__name__)

MIN_TUNE_DIGITS = 10


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int = 4
    mine_fraction: float = 0.125  # share of every batch from the user's digits: 0.25 cost MNIST 2-3x more, for the same gain
    learning_rate: float = 1e-4  # ~1/10 of training's: nudge the weights, do not retrain
    batch_size: int = 128
    mnist_per_epoch: int = 15_000  # MNIST images per epoch (a new random sample each epoch)
    augment: bool = True  # few own digits: distortions keep the model from memorising them
    label_smoothing: float = 0.1
    seed: int = 0

    def validate(self, n_tune: int, n_mnist: int | None = None) -> None:
        """Checks the settings for ``n_tune`` own digits (and ``n_mnist`` MNIST training images, when known)."""
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= 100:
            raise ConfigError(f"fine-tuning epochs must be a whole number from 1 to 100 (got {self.epochs})")
        if not 0.0 < self.mine_fraction < 1.0:
            raise ConfigError(f"the share of own digits per batch must be between 0 and 1, exclusive (got {self.mine_fraction})")
        check_learning_rate(self.learning_rate, 1.0)
        if not isinstance(self.batch_size, int) or not 2 <= self.batch_size <= 4096:
            raise ConfigError(f"batch size must be a whole number from 2 to 4096 (got {self.batch_size})")
        if not isinstance(self.mnist_per_epoch, int) or self.mnist_per_epoch < self.batch_size:
            raise ConfigError(f"MNIST images per epoch must be at least the batch size (got {self.mnist_per_epoch})")
        check_seed(self.seed)
        if n_tune < MIN_TUNE_DIGITS:
            raise ConfigError(f"fine-tuning needs at least {MIN_TUNE_DIGITS} of your digits to learn from "
                              f"(there are {n_tune}; a quarter of My digits is kept aside for measuring)")
        per_batch = self.batch_layout(0)[1]
        if n_mnist is not None and n_mnist < per_batch:  # each batch mixes in MNIST images, drawn without repeats
            raise ConfigError(f"fine-tuning with batches of {self.batch_size} needs at least {per_batch} MNIST training images "
                              f"(there are {n_mnist}); use a larger MNIST dataset")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def batch_layout(self, n_mnist_available: int) -> tuple[int, int, int]:
        """(own digits per batch, MNIST images per batch, batches per epoch)."""
        n_mine = max(1, round(self.batch_size * self.mine_fraction))
        n_mnist = self.batch_size - n_mine
        return n_mine, n_mnist, max(1, min(self.mnist_per_epoch, n_mnist_available) // n_mnist)


@dataclass
class FinetuneResult:
    config: FinetuneConfig
    mine_before: float | None  # accuracy on held-out own digits (None: none held out)
    mine_after: float | None
    mnist_before: float
    mnist_after: float
    n_tune: int
    n_held: int
    model_path: Path
    seconds: float
    stop: StopReason
    history: dict[str, list[float]] = field(default_factory=dict)
    model: Any = None  # the fine-tuned Keras model (stays on the training thread)
    predictor: Any = None  # its numpy predictor (NumpyPredictor or NumpyCnnPredictor)

    @property
    def stopped(self) -> bool:
        return self.stop.stopped

    def meta(self, base: str) -> dict[str, Any]:
        return {
            "finetune": {"base_model": base, "config": self.config.to_dict(), "n_tune": self.n_tune, "n_held": self.n_held,
                         "mine_before": self.mine_before, "mine_after": self.mine_after,
                         "mnist_before": self.mnist_before, "mnist_after": self.mnist_after},
            "test_accuracy": self.mnist_after,
            "history": self.history,
        }


def mixed_epoch(mnist_x: np.ndarray, mnist_y: np.ndarray, mine_x: np.ndarray, mine_y: np.ndarray,
                cfg: FinetuneConfig, rng: np.random.Generator,
                distort: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One epoch: float32 images in [0, 1] and labels, laid out so every ``batch_size`` block has the set mix.

    ``distort`` (float batch → float batch) applies to the user's digits only: MNIST images stay as the
    model was trained on them, which keeps its MNIST accuracy.
    """
    n_mine, n_mnist, steps = cfg.batch_layout(len(mnist_x))
    mi = rng.choice(len(mnist_x), size=steps * n_mnist, replace=False).reshape(steps, n_mnist)
    ui = rng.integers(len(mine_x), size=(steps, n_mine))
    mine = rescale(mine_x[ui.reshape(-1)])
    if distort is not None:
        mine = distort(mine)
    x = np.concatenate([rescale(mnist_x[mi]), mine.reshape(steps, n_mine, 28, 28)], axis=1).reshape(-1, 28, 28)
    y = np.concatenate([mnist_y[mi], mine_y[ui]], axis=1).reshape(-1)
    return x, y


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) == 0:
        return None
    probs = model.predict(batches(model_input(model, rescale(x)), batch_size=1024), verbose=0)
    return float((probs.argmax(axis=1) == y).mean())


def run_finetune(base_model_path: str | Path, data: Mnist, tune_x: np.ndarray, tune_y: np.ndarray,
                 held_x: np.ndarray, held_y: np.ndarray, out_path: str | Path, cfg: FinetuneConfig = FinetuneConfig(),
                 reporter: TrainingReporter | None = None, stop_event: threading.Event | None = None) -> FinetuneResult:
    """Fine-tune the model at ``base_model_path``; save the result to ``out_path`` (``.keras``), measured."""
    reporter = reporter or TrainingReporter()
    stop_event = stop_event or threading.Event()
    cfg.validate(len(tune_x), len(data.x_train))  # before any folder is made or the model loads
    from mnist_gui.ml.model_io import prepare_output_dir, remove_empty_dirs

    out = Path(out_path)
    if out.suffix != ".keras":
        raise ConfigError(f"{out}: the output must end in .keras")
    if out.is_dir():
        raise ConfigError(f"{out}: a folder; the output must be a .keras file")
    created = prepare_output_dir(out.parent)  # an unwritable folder is found now, not after the epochs
    try:
        return _finetune(base_model_path, data, tune_x, tune_y, held_x, held_y, out, cfg, reporter, stop_event)
    except BaseException:
        remove_empty_dirs(created)  # nothing kept: no empty folder left behind either
        raise


def _finetune(base_model_path: str | Path, data: Mnist, tune_x: np.ndarray, tune_y: np.ndarray, held_x: np.ndarray,
              held_y: np.ndarray, out: Path, cfg: FinetuneConfig, reporter: TrainingReporter,
              stop_event: threading.Event) -> FinetuneResult:
    configure_threads()
    import keras

    from mnist_gui.ml.model_io import load_keras_model, save_model

    model, _ = load_keras_model(base_model_path)
    reporter.message(f"Fine-tuning {Path(base_model_path).name} on {len(tune_x)} of your digits mixed with MNIST "
                     f"({cfg.mine_fraction:.1%} of each batch yours); {len(held_x)} of yours held out for measuring")

    def measure(when: str) -> tuple[float, float | None]:
        mnist = _accuracy(model, data.x_test, data.y_test) or 0.0  # MNIST's test set is never empty
        mine = _accuracy(model, held_x, held_y)
        reporter.message(f"{when}: MNIST test accuracy {mnist:.2%}" + (f", your held-out digits {mine:.2%}" if mine is not None else ""))
        return mnist, mine

    mnist_before, mine_before = measure("Before")

    from mnist_gui.ml.inference import is_cnn

    # XLA on CPU makes the CNN's steps several times slower (see ml/cnn.py); the MLP keeps Keras' choice.
    model.compile(loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
                  optimizer=keras.optimizers.Adam(cfg.learning_rate), metrics=["accuracy"], steps_per_execution=8,
                  jit_compile=False if is_cnn(model) else "auto")

    distort = None
    if cfg.augment:
        import tensorflow as tf

        from mnist_gui.ml.augment import compiled_augment

        augment, seed_gen = compiled_augment(), tf.random.Generator.from_seed(cfg.seed)
        distort = lambda a: augment(tf.constant(a), seed_gen.make_seeds(1)[:, 0]).numpy()  # noqa: E731

    rng = np.random.default_rng(cfg.seed)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    t0 = time.perf_counter()

    progress = progress_callback(reporter, stop_event, cfg.epochs, cfg.batch_layout(len(data.x_train))[2])
    for epoch in range(cfg.epochs):
        if stop_event.is_set():
            break
        x, y = mixed_epoch(data.x_train, data.y_train, tune_x, tune_y, cfg, rng, distort)
        progress.epoch_base = epoch  # one fit per epoch (each with a fresh mix): the callback numbers them
        h = model.fit(batches(model_input(model, x), one_hot(y), cfg.batch_size), epochs=1, shuffle=False, callbacks=[progress], verbose=0)
        logs = {k: float(v[-1]) for k, v in h.history.items()}
        for k, values in history.items():
            values.append(logs.get(k, math.nan))
        if progress.reason is StopReason.DIVERGED or not all(math.isfinite(v) for v in logs.values()):
            raise ModelError("fine-tuning diverged (the loss became NaN/infinite); the active model is unchanged")
    stopped = stop_event.is_set()
    seconds = time.perf_counter() - t0
    if not history["loss"]:
        raise ModelError("fine-tuning was stopped before its first epoch ended; the active model is unchanged")

    mnist_after, mine_after = measure("After")
    result = FinetuneResult(cfg, mine_before, mine_after, mnist_before, mnist_after, len(tune_x), len(held_x), out,
                            seconds, StopReason.STOPPED_BY_USER if stopped else StopReason.COMPLETED, history, model)
    # the model and its details, all or none; save_model makes the numpy predictor it writes, which the result carries
    return replace(result, predictor=save_model(model, out, result.meta(str(base_model_path))))
