"""The notebook's MLP (step 6) and its compile step (step 7), described by a plain ``ModelSpec``.

The spec knows its layers and parameter count without TensorFlow, so the summary is shown before
TensorFlow has loaded; ``build_model`` imports Keras only when called.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mnist_gui.errors import ConfigError

OPTIMIZERS = ("rmsprop", "adam", "sgd")
INPUT_SHAPE = (28, 28)
NUM_CLASSES = 10


@dataclass(frozen=True)
class ModelSpec:
    """Architecture and optimizer of the MLP. Defaults are the notebook's."""

    hidden_units: tuple[int, ...] = (512, 512)
    dropout: float = 0.2
    optimizer: str = "rmsprop"
    learning_rate: float = 0.001

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
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)} (got {self.optimizer!r})")
        if not (0.0 < self.learning_rate <= 10.0):
            raise ConfigError(f"learning rate must be in (0, 10] (got {self.learning_rate})")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden_units"] = list(self.hidden_units)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        return cls(
            hidden_units=tuple(int(u) for u in d.get("hidden_units", (512, 512))),
            dropout=float(d.get("dropout", 0.2)),
            optimizer=str(d.get("optimizer", "rmsprop")),
            learning_rate=float(d.get("learning_rate", 0.001)),
        )


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
        lines = [f"{'Layer (type)':<22}{'Output Shape':<13}{'Param #':>9}", "=" * 44]
        for r in self.rows:
            lines.append(f"{r.name + ' (' + r.kind + ')':<22}{r.output_shape:<13}{r.params:>9,}")
        lines += ["=" * 44, f"Total params: {self.total_params:,}", f"Trainable params: {self.total_params:,}"]
        return "\n".join(lines)


def summarize(spec: ModelSpec) -> Summary:
    """Layer table and parameter count computed from the spec, without TensorFlow."""
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


def make_optimizer(name: str, learning_rate: Any) -> Any:
    import keras

    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    raise ConfigError(f"unknown optimizer {name!r}")
