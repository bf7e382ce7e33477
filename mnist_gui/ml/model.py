"""The notebook's MLP (step 6), described by a plain ``ModelSpec`` (architecture only), and the model summary.

Compile and training settings (optimizer, learning rate, schedule…) live in ``TrainingConfig``
(``ml/config.py``), as in the keras-io examples: build and compile stay apart. The spec knows its layers
and parameter count without TensorFlow, so the summary is shown before TensorFlow has loaded;
``build_model`` imports Keras only when called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mnist_gui.errors import ConfigError

OPTIMIZERS = ("rmsprop", "adam", "sgd")
INPUT_SHAPE = (28, 28)
NUM_CLASSES = 10  # the one definition: every other module imports it from here


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of the MLP. Defaults are the notebook's.

    ``optimizer`` and ``learning_rate`` are a deprecated bridge for callers written before the split
    (``ModelSpec(units, dropout, optimizer, lr)``): given there, ``TrainingConfig`` takes them over, and
    ``cfg.model.optimizer`` / ``cfg.model.learning_rate`` mirror ``cfg.optimizer`` / ``cfg.learning_rate``.
    They are not part of the architecture: equality, ``to_dict`` and the summary ignore them.
    """

    hidden_units: tuple[int, ...] = (512, 512)
    dropout: float = 0.2
    optimizer: str | None = field(default=None, compare=False, repr=False)  # deprecated: TrainingConfig.optimizer
    learning_rate: float | None = field(default=None, compare=False, repr=False)  # deprecated: TrainingConfig.learning_rate
    mirrored: bool = field(default=False, compare=False, repr=False)  # set by TrainingConfig: the two above are copies

    def validate(self) -> None:
        if not self.hidden_units:
            raise ConfigError("at least one hidden layer is needed")
        if len(self.hidden_units) > 8:
            raise ConfigError("at most 8 hidden layers")
        for u in self.hidden_units:
            if not isinstance(u, int) or u < 1 or u > 8192:
                raise ConfigError(f"hidden units must be whole numbers from 1 to 8192 (got {u})")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1) (got {self.dropout})")
        # the deprecated bridge, checked as before when given (TrainingConfig.validate checks its own fields)
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)} (got {self.optimizer!r})")
        if self.learning_rate is not None and not (0.0 < self.learning_rate <= 10.0):
            raise ConfigError(f"learning rate must be in (0, 10] (got {self.learning_rate})")

    def architecture(self) -> ModelSpec:
        """The spec without the deprecated compile settings."""
        return ModelSpec(tuple(self.hidden_units), self.dropout)

    def to_dict(self) -> dict[str, Any]:
        return {"hidden_units": list(self.hidden_units), "dropout": self.dropout}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        """Architecture fields only (an old record's optimizer/learning rate are read by ``TrainingConfig.from_dict``)."""
        return cls(hidden_units=tuple(int(u) for u in d.get("hidden_units", (512, 512))), dropout=float(d.get("dropout", 0.2)))


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    output_shape: str
    params: int


@dataclass(frozen=True)
class Summary:
    rows: list[LayerRow] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    def text(self) -> str:
        """Keras-style summary table."""
        width = max([22] + [len(r.name) + len(r.kind) + 4 for r in self.rows])
        shape_w = max([13] + [len(r.output_shape) + 1 for r in self.rows])
        lines = [f"{'Layer (type)':<{width}}{'Output Shape':<{shape_w}}{'Param #':>9}", "=" * (width + shape_w + 9)]
        for r in self.rows:
            lines.append(f"{r.name + ' (' + r.kind + ')':<{width}}{r.output_shape:<{shape_w}}{r.params:>9,}")
        lines += ["=" * (width + shape_w + 9), f"Total params: {self.total_params:,}", f"Trainable params: {self.total_params:,}"]
        return "\n".join(lines)


def summarize(spec: ModelSpec) -> Summary:
    """Layer table and parameter count of the MLP computed from the spec, without TensorFlow."""
    spec.validate()
    rows = [LayerRow("flatten", "Flatten", "(None, 784)", 0)]
    fan_in = INPUT_SHAPE[0] * INPUT_SHAPE[1]
    for i, units in enumerate(spec.hidden_units):
        suffix = "" if i == 0 else f"_{i}"
        rows.append(LayerRow(f"dense{suffix}", "Dense", f"(None, {units})", fan_in * units + units))
        if spec.dropout > 0:
            rows.append(LayerRow(f"dropout{suffix}", "Dropout", f"(None, {units})", 0))
        fan_in = units
    rows.append(LayerRow(f"dense_{len(spec.hidden_units)}", "Dense", f"(None, {NUM_CLASSES})", fan_in * NUM_CLASSES + NUM_CLASSES))
    return Summary(rows)


def summarize_config(cfg: Any) -> Summary:
    """The summary of the network a ``TrainingConfig`` builds (``cfg.arch``: ``mlp`` or ``cnn``), without TensorFlow."""
    if getattr(cfg, "arch", "mlp") == "cnn":
        from mnist_gui.ml.cnn import summarize_cnn

        return summarize_cnn(cfg.cnn)
    return summarize(cfg.model)


def build_model(spec: ModelSpec, seed: int | None = None) -> Any:
    """Flatten → (Dense relu → Dropout)* → Dense softmax, uncompiled. Imports Keras."""
    import keras  # kept out of start-up

    spec.validate()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    layers: list[Any] = [keras.Input(shape=INPUT_SHAPE, name="image"), keras.layers.Flatten(name="flatten")]
    for i, units in enumerate(spec.hidden_units):
        suffix = "" if i == 0 else f"_{i}"
        layers.append(keras.layers.Dense(units, activation="relu", name=f"dense{suffix}"))
        if spec.dropout > 0:
            layers.append(keras.layers.Dropout(spec.dropout, name=f"dropout{suffix}"))
    layers.append(keras.layers.Dense(NUM_CLASSES, activation="softmax", name=f"dense_{len(spec.hidden_units)}"))
    return keras.Sequential(layers, name="mnist_mlp")


def build_network(cfg: Any, seed: int | None = None) -> Any:
    """The uncompiled Keras model a ``TrainingConfig`` describes: the MLP or the CNN."""
    if getattr(cfg, "arch", "mlp") == "cnn":
        from mnist_gui.ml.cnn import build_cnn

        return build_cnn(seed=seed, spec=cfg.cnn)
    return build_model(cfg.model, seed=seed)


def make_optimizer(name: str, learning_rate: Any) -> Any:
    import keras

    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    raise ConfigError(f"unknown optimizer {name!r}")


def model_input(model: Any, x: Any) -> Any:
    """Images ``(N, 28, 28)`` as ``model``'s input wants them: ``(N, 784)`` or ``(N, 28, 28, 1)`` models are accepted too."""
    return x.reshape(len(x), *model.input_shape[1:])
