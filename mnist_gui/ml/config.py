"""``TrainingConfig``: everything a training run depends on, its presets, and the training-set size after the split.

No TensorFlow here. ``ml/training.py`` re-exports these names (``from mnist_gui.ml.training import TrainingConfig``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from mnist_gui.errors import ConfigError
from mnist_gui.ml.cnn import CNN_SPEC, CNN_TRAINING, CnnSpec
from mnist_gui.ml.model import OPTIMIZERS, ModelSpec

ARCHS = ("mlp", "cnn")
PRESETS = ("notebook", "default", "cnn")
PRESET_ARCH = {"notebook": "mlp", "default": "mlp", "cnn": "cnn"}
MAX_SEED = 2**32 - 1  # numpy's and Keras' global seeding accept 0 … 2**32 - 1
LR_SCHEDULES = ("constant", "cosine")
# Below this a step changes no float32 weight (1e-320 is even 0 in float32): a run would learn nothing, silently.
MIN_LEARNING_RATE = 1e-10


def check_seed(seed: object) -> None:
    """A ConfigError unless ``seed`` is a whole number numpy, TensorFlow and Keras all accept."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed must be a whole number from 0 to {MAX_SEED} (got {seed})")


def check_learning_rate(lr: object, upper: float) -> None:
    """A ConfigError unless ``lr`` is a number from :data:`MIN_LEARNING_RATE` to ``upper``."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0.0 < lr <= upper:  # NaN too
        raise ConfigError(f"learning rate must be in (0, {upper:g}] (got {lr})")
    if lr < MIN_LEARNING_RATE:
        raise ConfigError(f"learning rate {lr} is too small to change the weights (float32); use at least {MIN_LEARNING_RATE:g}")


def validation_size(n_train: int, validation_split: float) -> int:
    """Images held out for validation: the last ``floor(n · split)`` (tolerant of float error, e.g. 0.29 · 100)."""
    return math.floor(n_train * validation_split + 1e-9)


def fit_size(n_train: int, validation_split: float) -> int:
    """THE number of training images after the validation split: training, its progress, the cosine-decay
    steps and the GUI all use this; training slices the validation set itself so Keras never splits on its own."""
    return n_train - validation_size(n_train, validation_split)


def steps_per_epoch(n_train: int, validation_split: float, batch_size: int) -> int:
    """Batches Keras runs per epoch on ``fit_size`` images (the last one may be partial)."""
    return math.ceil(fit_size(n_train, validation_split) / batch_size)


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a run depends on: architecture (``arch`` + ``model`` or ``cnn``) and compile/train settings.

    ``preset_config()`` gives the notebook's, the project's default MLP and the CNN preset.
    """

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
    optimizer: str = "rmsprop"
    learning_rate: float = 0.001
    arch: str = "mlp"
    cnn: CnnSpec = CNN_SPEC

    def __post_init__(self) -> None:
        # The deprecated bridge (see ModelSpec): settings given on a freshly built spec win; afterwards the
        # spec only mirrors the config's, so cfg.model.optimizer keeps working for old callers.
        m, opt, lr = self.model, self.optimizer, self.learning_rate
        if isinstance(m, ModelSpec) and not m.mirrored:
            opt = m.optimizer if m.optimizer is not None else opt
            lr = m.learning_rate if m.learning_rate is not None else lr
        object.__setattr__(self, "optimizer", opt)
        object.__setattr__(self, "learning_rate", lr)
        if isinstance(m, ModelSpec):
            object.__setattr__(self, "model", ModelSpec(m.hidden_units, m.dropout, opt, lr, mirrored=True))

    @staticmethod
    def preset_config(name: str) -> TrainingConfig:
        if name == "notebook":
            return TrainingConfig(optimizer="rmsprop", learning_rate=0.001, preset="notebook")
        if name == "default":
            # Same architecture; Adam with cosine decay and label smoothing: +0.5 points over the notebook.
            # Augmentation: +0.75 points on digits drawn on the canvas, test accuracy unchanged (2 seeds,
            # benchmarks/run.py augment_recipe).
            return TrainingConfig(optimizer="adam", learning_rate=0.001, lr_schedule="cosine", label_smoothing=0.1,
                                  augment=True, preset="default")
        if name == "cnn":
            t = CNN_TRAINING  # measured in ml/cnn.py: 99.54 % test after 10 epochs (seed 42)
            return TrainingConfig(arch="cnn", cnn=CNN_SPEC, epochs=t.epochs, batch_size=t.batch_size, optimizer=t.optimizer,
                                  learning_rate=t.learning_rate, lr_schedule=t.lr_schedule, label_smoothing=t.label_smoothing,
                                  augment=t.augment, steps_per_execution=t.steps_per_execution, preset="cnn")
        raise ConfigError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")

    def validate(self, n_train: int | None = None) -> None:
        if self.arch not in ARCHS:
            raise ConfigError(f"architecture must be one of {', '.join(ARCHS)} (got {self.arch!r})")
        if self.arch == "mlp":
            self.model.validate()
        else:
            self.cnn.validate()
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)} (got {self.optimizer!r})")
        check_learning_rate(self.learning_rate, 10.0)
        check_seed(self.seed)
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= 1000:
            raise ConfigError(f"epochs must be a whole number from 1 to 1000 (got {self.epochs})")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(f"batch size must be a whole number ≥ 1 (got {self.batch_size})")
        if not 0.0 < self.validation_split < 1.0:
            raise ConfigError(f"validation split must be between 0 and 1, exclusive (got {self.validation_split})")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"learning-rate schedule must be 'constant' or 'cosine' (got {self.lr_schedule!r})")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label smoothing must be in [0, 1) (got {self.label_smoothing})")
        if not isinstance(self.steps_per_execution, int) or self.steps_per_execution < 1:
            raise ConfigError("steps per execution must be ≥ 1")
        if n_train is not None:
            n_fit = fit_size(n_train, self.validation_split)
            if n_fit < 1 or n_fit == n_train:
                raise ConfigError(f"validation split {self.validation_split} of {n_train} images leaves no training or no validation data")
            if self.batch_size > n_fit:
                raise ConfigError(f"batch size {self.batch_size} is larger than the {n_fit} training images left of "
                                  f"{n_train} after the validation split ({self.validation_split:g})")

    def fit_size(self, n_train: int) -> int:
        return fit_size(n_train, self.validation_split)

    def to_dict(self) -> dict[str, Any]:
        return {"arch": self.arch, "model": self.model.to_dict(), "cnn": self.cnn.to_dict(), "optimizer": self.optimizer,
                "learning_rate": self.learning_rate, "epochs": self.epochs, "batch_size": self.batch_size,
                "validation_split": self.validation_split, "seed": self.seed, "lr_schedule": self.lr_schedule,
                "label_smoothing": self.label_smoothing, "steps_per_execution": self.steps_per_execution,
                "augment": self.augment, "preset": self.preset}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainingConfig:
        """Read ``to_dict`` output, and the records of earlier versions (optimizer and learning rate inside ``model``)."""
        m = d.get("model")
        model: dict[str, Any] = m if isinstance(m, dict) else {}
        kwargs = {k: v for k, v in d.items() if k in cls.__dataclass_fields__ and k not in ("model", "cnn")}
        for key in ("optimizer", "learning_rate"):
            if key not in kwargs and key in model:
                kwargs[key] = model[key]
        if "learning_rate" in kwargs:
            kwargs["learning_rate"] = float(kwargs["learning_rate"])
        cnn = CnnSpec.from_dict(d["cnn"]) if isinstance(d.get("cnn"), dict) else CNN_SPEC
        return cls(model=ModelSpec.from_dict(model), cnn=cnn, **kwargs)

    def with_(self, **changes: Any) -> TrainingConfig:
        return replace(self, **changes)
