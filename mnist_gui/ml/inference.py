"""TensorFlow-free inference: a numpy forward pass over a copy of a model's weights (dropout off).

``NumpyPredictor`` runs the MLP, ``NumpyCnnPredictor`` (``ml/cnn.py``) the CNN; both ``.predict((N, 28, 28))
→ (N, 10)``. Every ``.keras`` the app writes gets a ``.weights.npz`` beside it (see ``model_io``), so a
predictor loads in milliseconds without importing TensorFlow, and equals Keras' output within 1e-5.
``load_weights`` picks the class from the file's ``arch`` marker; ``predictor_from_keras`` from the layers.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from mnist_gui.errors import ModelError
from mnist_gui.ml.cnn import DAMAGED, NumpyCnnPredictor, check_numeric, weights_arch
from mnist_gui.ml.model import NUM_CLASSES
from mnist_gui.paths import PRETRAINED, default_model_path, pretrained_model_path

log = logging.getLogger(__name__)

INPUT_DIM = 784
__all__ = ["NUM_CLASSES", "NumpyCnnPredictor", "NumpyPredictor", "Predictor", "load_default_predictor", "load_predictor",
           "load_pretrained_predictor", "load_weights", "predictor_from_keras", "weights_path_for"]


def weights_path_for(model_path: str | os.PathLike[str]) -> Path:
    """``best.keras`` → ``best.weights.npz``."""
    p = Path(model_path)
    return p.with_name(p.stem + ".weights.npz")


class NumpyPredictor:
    """Dense-relu stack ending in softmax, evaluated with numpy. Thread-safe: weights are read-only."""

    arch = "mlp"

    def __init__(self, kernels: list[np.ndarray], biases: list[np.ndarray], name: str = "",
                 layer_names: list[str] | None = None) -> None:
        """``layer_names`` (the Keras layers the weights came from) name the layer in an error; else its index."""
        if not kernels or len(kernels) != len(biases):
            raise ModelError("weights: need matching kernels and biases for at least one layer")
        fan_in = INPUT_DIM
        for i, (k, b) in enumerate(zip(kernels, biases)):
            where = f"layer {layer_names[i]}" if layer_names else f"weights: layer {i}"
            check_numeric(where, k, b)
            k, b = np.asarray(k), np.asarray(b)  # noqa: PLW2901 (shapes of whatever was given)
            if k.ndim != 2 or k.shape[0] != fan_in or b.shape != (k.shape[1],):
                raise ModelError(f"{where} has kernel {k.shape} and bias {b.shape}; expected ({fan_in}, n) and (n,)")
            fan_in = k.shape[1]
        if fan_in != NUM_CLASSES:
            raise ModelError(f"weights: the model outputs {fan_in} classes; expected {NUM_CLASSES}")
        self.kernels = [np.array(k, dtype=np.float32, copy=True) for k in kernels]
        self.biases = [np.array(b, dtype=np.float32, copy=True) for b in biases]
        for a in self.kernels + self.biases:
            a.setflags(write=False)
            if not np.all(np.isfinite(a)):
                raise ModelError("weights: contain NaN or infinity")
        self.name = name
        self.meta: dict[str, str] = {}

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """``(N, 28, 28)`` (or ``(28, 28)`` / ``(N, 784)``) float32 in [0, 1], ink = 1 → ``(N, 10)`` probabilities."""
        x = np.asarray(batch, dtype=np.float32)
        if x.shape == (28, 28):
            x = x[None]
        x = x.reshape(len(x), -1)
        if x.shape[1] != INPUT_DIM:
            raise ValueError(f"expected images of 28x28 = 784 pixels, got {x.shape[1]}")
        last = len(self.kernels) - 1
        for i, (k, b) in enumerate(zip(self.kernels, self.biases)):
            x = x @ k
            x += b
            if i < last:
                np.maximum(x, 0.0, out=x)
        x -= x.max(axis=1, keepdims=True)
        np.exp(x, out=x)
        x /= x.sum(axis=1, keepdims=True)
        return x

    def save(self, path: str | os.PathLike[str], **meta: str) -> None:
        """Write the weights as a plain npz (atomic). ``meta`` strings (e.g. the .keras sha256) go along."""
        from mnist_gui.atomic import atomic_save_npz

        arrays: dict[str, np.ndarray] = {}
        for i, (k, b) in enumerate(zip(self.kernels, self.biases)):
            arrays[f"kernel_{i}"] = k
            arrays[f"bias_{i}"] = b
        atomic_save_npz(path, arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NumpyPredictor:
        p = Path(path)
        kernels, biases = [], []
        try:
            with np.load(p, allow_pickle=False) as z:
                i = 0
                while f"kernel_{i}" in z.files:
                    kernels.append(z[f"kernel_{i}"])
                    biases.append(z[f"bias_{i}"])
                    i += 1
                meta = {k[5:]: str(z[k]) for k in z.files if k.startswith("meta_")}
            predictor = cls(kernels, biases, name=p.name)
        except FileNotFoundError as exc:
            raise ModelError(f"{p}: no such weights file") from exc
        except ModelError as exc:  # named after the file, so the caller can tell which one to derive again
            raise ModelError(f"{p}: {exc}") from exc
        except DAMAGED as exc:
            raise ModelError(f"{p}: not a valid weights file ({type(exc).__name__}: {str(exc)[:200]})") from exc
        predictor.meta = meta
        return predictor

    @classmethod
    def from_keras(cls, model: object, name: str = "") -> NumpyPredictor:
        """Copy the Dense weights of a Keras MLP (``model.layers``) into a predictor (a missing bias is zeros)."""
        kernels, biases, names = [], [], []
        for layer in model.layers:  # type: ignore[attr-defined]
            kind = type(layer).__name__
            if kind == "Dense":
                try:
                    w = layer.get_weights()
                    k = w[0]
                    b = w[1] if len(w) > 1 else np.zeros(k.shape[-1], np.float32)  # Dense(use_bias=False)
                except (ValueError, TypeError, IndexError, AttributeError) as exc:
                    raise ModelError(f"layer {layer.name} ({kind}): its weights cannot be read ({exc})") from exc
                act = getattr(layer.activation, "__name__", "")
                kernels.append(k)
                biases.append(b)
                names.append(layer.name)
                expected = "softmax" if layer is model.layers[-1] else "relu"  # type: ignore[attr-defined]
                if act != expected:
                    raise ModelError(f"layer {layer.name}: activation {act!r}, expected {expected!r}")
            elif kind not in ("Flatten", "Dropout", "InputLayer"):
                raise ModelError(f"layer {layer.name} ({kind}) is not part of an MNIST MLP this app can run")
        return cls(kernels, biases, name=name, layer_names=names)


Predictor = NumpyPredictor | NumpyCnnPredictor  # either answers .predict((N, 28, 28)) -> (N, 10)


def load_weights(path: str | os.PathLike[str]) -> Predictor:
    """A ``.weights.npz`` as the predictor of its architecture (by its ``arch`` marker; the MLP's have none)."""
    if weights_arch(path) == "cnn":
        return NumpyCnnPredictor.load(path)
    return NumpyPredictor.load(path)


def is_cnn(model: object) -> bool:
    """Whether a Keras model has convolutions (so ``NumpyCnnPredictor`` runs it)."""
    return any(type(layer).__name__ == "Conv2D" for layer in getattr(model, "layers", []))


def predictor_from_keras(model: object, name: str = "") -> Predictor:
    """The numpy predictor of a Keras MLP or CNN (raises :class:`ModelError` for anything else)."""
    try:
        if is_cnn(model):
            return NumpyCnnPredictor.from_keras(model, name=name)
        return NumpyPredictor.from_keras(model, name=name)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:  # a layer set up in a way not foreseen
        raise ModelError(f"{name or 'the model'}: not a model this app can run ({type(exc).__name__}: {exc})") from exc


def load_predictor(model_path: str | os.PathLike[str]) -> Predictor:
    """The numpy predictor for a ``.keras`` file the app wrote (from its ``.weights.npz`` sidecar)."""
    return load_weights(weights_path_for(model_path))


def load_pretrained_predictor(name: str) -> Predictor:
    """A shipped model without TensorFlow: ``"mlp"`` (the default model) or ``"cnn"``. Raises :class:`ModelError`."""
    if name not in PRETRAINED:
        raise ModelError(f"no shipped model called {name!r} (choose from {', '.join(PRETRAINED)})")
    predictor = load_predictor(pretrained_model_path(name))
    predictor.name = "default" if name == "mlp" else name
    return predictor


def load_default_predictor() -> NumpyPredictor:
    """Predictor for the pretrained model shipped in ``resources/`` (the MLP)."""
    predictor = NumpyPredictor.load(weights_path_for(default_model_path()))
    predictor.name = "default"
    return predictor
