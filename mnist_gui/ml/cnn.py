"""The small convolutional network (``--arch cnn``): architecture, recommended training, numpy inference.

``build_cnn`` makes the Keras model (architecture only; compile settings live in :data:`CNN_TRAINING`).
``NumpyCnnPredictor`` runs it without TensorFlow: convolutions as im2col (a strided view, one copy) plus a
matrix product, max-pooling as strided maxima, BatchNorm folded into the layer before it. It equals Keras within
1e-5 and answers a single drawn digit in well under a millisecond. Its ``.weights.npz`` is plain arrays plus a
JSON layer list, marked ``arch = "cnn"`` so a loader can tell it from the MLP's.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml.model import NUM_CLASSES

if TYPE_CHECKING:
    from mnist_gui.ml.model import Summary

SIDE = 28
FORMAT_VERSION = "1"
# What a damaged weights file can raise while it is read (bad JSON, "size": Infinity, deep nesting, text arrays):
# each becomes a ModelError naming the file, so callers treat it as stale and derive the weights again.
DAMAGED = (OSError, ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError, zipfile.BadZipFile,
           EOFError, zlib.error)
BATCH_CHUNK = 256  # images per forward chunk: bounds the im2col buffers (~30 MB) on big batches
# OpenBLAS runs a product of M·N·K multiply-adds on floor(MNK / 2**18) threads. For one drawn digit conv2 is
# 1.8 M, so it would wake a second thread, which on a busy 2-core machine waits for a time slice: p95 36 ms
# instead of 0.05 ms. Small products are therefore cut into row blocks that each stay on the calling thread.
ONE_THREAD_MNK = 1 << 19
SMALL_WORK_MNK = 1 << 23  # above this (big batches), one large threaded product is faster


@dataclass(frozen=True)
class CnnSpec:
    """Architecture knobs: Conv k1×k1×f1 → pool → Conv k2×k2×f2 → pool → Dense → Dropout → Dense 10.

    All convolutions are "valid", stride 1, ReLU; pools are 2×2. BatchNorm is off by default: it made an
    epoch ~1.5x slower here without a better accuracy after 4 epochs.
    """

    conv1_filters: int = 32
    conv1_kernel: int = 5
    conv2_filters: int = 64
    conv2_kernel: int = 3
    dense_units: int = 128
    dropout: float = 0.3
    batch_norm: bool = False

    def validate(self) -> None:
        for name in ("conv1_filters", "conv2_filters", "dense_units"):
            v = getattr(self, name)
            if not isinstance(v, int) or not 1 <= v <= 1024:
                raise ConfigError(f"{name.replace('_', ' ')} must be a whole number from 1 to 1024 (got {v})")
        if self.conv1_kernel not in (3, 5) or self.conv2_kernel not in (3, 5):
            raise ConfigError("convolution kernels must be 3 or 5 pixels wide")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1) (got {self.dropout})")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CnnSpec:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class CnnTraining:
    """The ``cnn`` preset's training settings. With the default spec, full MNIST (48,000 fit / 12,000 validation):
    test 99.54% (seed 42) and 99.51% (seed 43) after 10 epochs; an epoch takes ~2.2-3x the default MLP's.
    """

    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 0.002
    lr_schedule: str = "cosine"
    label_smoothing: float = 0.1
    augment: bool = True
    steps_per_execution: int = 32
    jit_compile: bool = False  # XLA on CPU: epochs 2-7x slower here (its max-pool gradient); Keras' "auto" is off on CPU

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


CNN_SPEC = CnnSpec()
CNN_TRAINING = CnnTraining()


def layer_shapes(spec: CnnSpec) -> list[tuple[str, str, tuple[int, ...], int]]:
    """(name, Keras class, per-image output shape, parameters) of each layer, without TensorFlow."""
    spec.validate()
    rows: list[tuple[str, str, tuple[int, ...], int]] = [("reshape", "Reshape", (SIDE, SIDE, 1), 0)]
    side, chans = SIDE, 1
    for i, (f, k) in enumerate(((spec.conv1_filters, spec.conv1_kernel), (spec.conv2_filters, spec.conv2_kernel)), 1):
        side = side - k + 1  # "valid", stride 1
        rows.append((f"conv{i}", "Conv2D", (side, side, f), k * k * chans * f + (0 if spec.batch_norm else f)))
        if spec.batch_norm:
            rows.append((f"bn{i}", "BatchNormalization", (side, side, f), 4 * f))
            rows.append((f"relu{i}", "ReLU", (side, side, f), 0))
        side, chans = side // 2, f
        rows.append((f"pool{i}", "MaxPooling2D", (side, side, f), 0))
    flat = side * side * chans
    rows.append(("flatten", "Flatten", (flat,), 0))
    rows.append(("dense", "Dense", (spec.dense_units,), flat * spec.dense_units + spec.dense_units))
    if spec.dropout > 0:
        rows.append(("dropout", "Dropout", (spec.dense_units,), 0))
    rows.append(("output", "Dense", (NUM_CLASSES,), spec.dense_units * NUM_CLASSES + NUM_CLASSES))
    return rows


def summarize_cnn(spec: CnnSpec = CNN_SPEC) -> Summary:
    """The Keras-style summary table (``model.Summary``) of the CNN, without TensorFlow."""
    from mnist_gui.ml.model import LayerRow, Summary

    return Summary([LayerRow(n, k, "(None, " + ", ".join(map(str, s)) + ")", p) for n, k, s, p in layer_shapes(spec)])


def build_cnn(seed: int | None = None, spec: CnnSpec = CNN_SPEC) -> Any:
    """The uncompiled Keras model: input ``(28, 28)`` named ``image``, softmax output named ``output``."""
    import keras  # kept out of start-up

    spec.validate()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    lay = keras.layers
    x = inp = keras.Input(shape=(SIDE, SIDE), name="image")
    x = lay.Reshape((SIDE, SIDE, 1), name="reshape")(x)
    for i, (f, k) in enumerate(((spec.conv1_filters, spec.conv1_kernel), (spec.conv2_filters, spec.conv2_kernel)), 1):
        if spec.batch_norm:
            x = lay.Conv2D(f, k, use_bias=False, data_format="channels_last", name=f"conv{i}")(x)
            x = lay.BatchNormalization(name=f"bn{i}")(x)
            x = lay.ReLU(name=f"relu{i}")(x)
        else:
            x = lay.Conv2D(f, k, activation="relu", data_format="channels_last", name=f"conv{i}")(x)
        x = lay.MaxPooling2D(2, data_format="channels_last", name=f"pool{i}")(x)
    x = lay.Flatten(name="flatten")(x)
    x = lay.Dense(spec.dense_units, activation="relu", name="dense")(x)
    if spec.dropout > 0:
        x = lay.Dropout(spec.dropout, name="dropout")(x)
    out = lay.Dense(NUM_CLASSES, activation="softmax", name="output")(x)
    return keras.Model(inp, out, name="mnist_cnn")


# --- numpy inference ----------------------------------------------------------------------------------
@dataclass
class LayerOp:
    """One step of the forward pass. ``kind``: conv, pool, flatten, dense. ``act``: relu, linear, softmax."""

    kind: str
    name: str
    act: str = "linear"
    size: int = 0  # pool window (= stride)
    kernel: np.ndarray | None = None
    bias: np.ndarray | None = None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "act": self.act, "size": self.size}


_Op = LayerOp  # the name before cnn_convert.py needed it (explain_conv.py imports it)


def _conv(x: np.ndarray, op: LayerOp) -> np.ndarray:
    """A 'valid', stride-1 convolution: im2col plus one matrix product (in row blocks for small inputs)."""
    kh, kw, c, f = op.kernel.shape  # type: ignore[union-attr]
    n, h, w, _ = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    rows, depth = n * oh * ow, kh * kw * c
    if c == 1:
        # One channel: a row-major im2col would copy runs of kw floats and feed BLAS a tall, 25-column matrix
        # (2x slower). Column-major instead: one contiguous slice copy per kernel tap.
        cols_t = np.empty((kh, kw, n, oh, ow), np.float32)
        for i in range(kh):
            for j in range(kw):
                cols_t[i, j] = x[:, i : i + oh, j : j + ow, 0]
        a = cols_t.reshape(depth, rows).T
    else:
        sn, sh, sw, sc = x.strides
        cols = np.lib.stride_tricks.as_strided(x, (n, oh, ow, kh, kw, c), (sn, sh, sw, sh, sw, sc), writeable=False)
        a = cols.reshape(rows, depth)
    k = op.kernel.reshape(depth, f)  # type: ignore[union-attr]
    if rows * depth * f > SMALL_WORK_MNK:
        return (a @ k).reshape(n, oh, ow, f)
    out = np.empty((rows, f), np.float32)
    step = max(1, (ONE_THREAD_MNK - 1) // (depth * f))
    for i in range(0, rows, step):
        np.matmul(a[i : i + step], k, out=out[i : i + step])
    return out.reshape(n, oh, ow, f)


def _pool(x: np.ndarray, p: int) -> np.ndarray:
    """Non-overlapping p×p max-pooling as p² strided maxima (faster than a reshape and a 2-axis max)."""
    h, w = x.shape[1] // p * p, x.shape[2] // p * p
    out = x[:, 0:h:p, 0:w:p].copy()
    for i in range(p):
        for j in range(p):
            if i or j:
                np.maximum(out, x[:, i:h:p, j:w:p], out=out)
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)
    return x


class NumpyCnnPredictor:
    """The CNN's forward pass in numpy (dropout off, BatchNorm folded). Thread-safe: weights are read-only."""

    arch = "cnn"

    def __init__(self, ops: list[LayerOp], name: str = "") -> None:
        self.ops = self._validated(ops)
        self.name = name
        self.meta: dict[str, str] = {}

    @staticmethod
    def _validated(ops: list[LayerOp]) -> list[LayerOp]:
        shape: tuple[int, ...] = (SIDE, SIDE, 1)
        out = []
        for i, op in enumerate(ops):
            where = f"weights: layer {i} ({op.name or op.kind})"
            if op.act not in ("relu", "linear", "softmax") or (op.act == "softmax" and i != len(ops) - 1):
                raise ModelError(f"{where}: activation {op.act!r} is not supported here")
            if op.kind in ("conv", "dense"):
                check_numeric(where, op.kernel, op.bias)
                k = np.array(op.kernel, dtype=np.float32, copy=True)
                b = np.array(op.bias, dtype=np.float32, copy=True)
                want_in = shape[-1] if op.kind == "conv" else int(np.prod(shape))
                if (op.kind == "conv" and (k.ndim != 4 or len(shape) != 3 or k.shape[2] != want_in or k.shape[0] > shape[0] or k.shape[1] > shape[1])) \
                        or (op.kind == "dense" and (k.ndim != 2 or k.shape[0] != want_in)) or b.shape != (k.shape[-1],):
                    raise ModelError(f"{where}: kernel {k.shape} and bias {b.shape} do not fit its input {shape}")
                if not (np.all(np.isfinite(k)) and np.all(np.isfinite(b))):
                    raise ModelError(f"{where}: contains NaN or infinity")
                k.setflags(write=False)
                b.setflags(write=False)
                op = LayerOp(op.kind, op.name, op.act, op.size, k, b)  # noqa: PLW2901 (the checked copy)
                shape = (shape[0] - k.shape[0] + 1, shape[1] - k.shape[1] + 1, k.shape[3]) if op.kind == "conv" else (k.shape[1],)
            elif op.kind == "pool":
                if len(shape) != 3 or not 1 <= op.size <= min(shape[:2]):
                    raise ModelError(f"{where}: a {op.size}×{op.size} pool does not fit its input {shape}")
                shape = (shape[0] // op.size, shape[1] // op.size, shape[2])
            elif op.kind == "flatten":
                shape = (int(np.prod(shape)),)
            else:
                raise ModelError(f"{where}: unknown kind {op.kind!r}")
            out.append(op)
        names = [op.name for op in out]
        if len(set(names)) != len(names) or not all(names):
            raise ModelError(f"weights: layer names must be unique and non-empty (got {names})")
        if not out or out[-1].kind != "dense" or shape != (NUM_CLASSES,):
            raise ModelError(f"weights: the model must end in a Dense layer of {NUM_CLASSES} classes (it gives {shape})")
        return out

    @property
    def kernels(self) -> list[np.ndarray]:
        """Conv and Dense kernels in order (BatchNorm folded in), as the MLP predictor's ``kernels``."""
        return [op.kernel for op in self.ops if op.kernel is not None]

    @property
    def biases(self) -> list[np.ndarray]:
        return [op.bias for op in self.ops if op.bias is not None]

    @staticmethod
    def _images(batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch, dtype=np.float32)
        if x.shape == (SIDE, SIDE):
            x = x[None]
        if x.ndim == 2 and x.shape[1] == SIDE * SIDE or x.ndim == 4 and x.shape[1:] == (SIDE, SIDE, 1):
            x = x.reshape(len(x), SIDE, SIDE)
        if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
            raise ModelError(f"expected 28×28 images as (N, 28, 28), got an array of shape {np.shape(batch)}")
        return x[..., None]

    def _forward(self, x: np.ndarray, keep: bool, logits: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        maps: dict[str, np.ndarray] = {}
        for op in self.ops:
            if op.kind == "conv":
                x = _conv(x, op)
                x += op.bias
            elif op.kind == "dense":
                x = x @ op.kernel
                x += op.bias
            elif op.kind == "pool":
                x = _pool(x, op.size)
            else:
                x = x.reshape(len(x), int(np.prod(x.shape[1:])))
            if op.act == "relu":
                np.maximum(x, 0.0, out=x)
            elif op.act == "softmax" and not logits:
                x = _softmax(x)
            if keep and op.kind != "flatten":
                maps[op.name] = x
        return x, maps

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """``(N, 28, 28)`` or ``(28, 28)`` float32 in [0, 1], ink = 1 → ``(N, 10)`` probabilities."""
        x = self._images(batch)
        if len(x) <= BATCH_CHUNK:
            return self._forward(x, keep=False)[0]
        return np.concatenate([self._forward(x[i : i + BATCH_CHUNK], keep=False)[0] for i in range(0, len(x), BATCH_CHUNK)])

    def feature_maps(self, batch: np.ndarray, logits: bool = False) -> dict[str, np.ndarray]:
        """Each layer's activations by layer name, in order: ``(N, H, W, C)`` for conv/pool, ``(N, units)`` for
        dense; ``output`` holds probabilities (logits with ``logits=True``). Meant for small batches."""
        return self._forward(self._images(batch), keep=True, logits=logits)[1]

    def layers(self) -> list[tuple[str, str, tuple[int, ...], int, str]]:
        """(name, kind, per-image output shape, parameters, activation) of each layer after the input."""
        maps = self.feature_maps(np.zeros((1, SIDE, SIDE), np.float32))
        return [(op.name, "output" if op is self.ops[-1] else op.kind, maps[op.name].shape[1:],
                 0 if op.kernel is None else op.kernel.size + op.bias.size, op.act)  # type: ignore[union-attr]
                for op in self.ops if op.kind != "flatten"]

    # --- files ---
    def save(self, path: str | os.PathLike[str], **meta: str) -> None:
        """Write a plain npz (atomic): ``arch``, ``layers`` (JSON), ``<name>_kernel``/``_bias`` and ``meta_*`` strings."""
        from mnist_gui.atomic import atomic_save_npz

        arrays: dict[str, np.ndarray] = {"arch": np.array(self.arch), "format_version": np.array(FORMAT_VERSION),
                                         "layers": np.array(json.dumps([op.describe() for op in self.ops]))}
        for op in self.ops:
            if op.kernel is not None:
                arrays[f"{op.name}_kernel"], arrays[f"{op.name}_bias"] = op.kernel, op.bias  # type: ignore[assignment]
        atomic_save_npz(path, arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NumpyCnnPredictor:
        """Read what :meth:`save` wrote (never unpickling). Raises :class:`ModelError`."""
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as z:
                if "arch" not in z.files or str(z["arch"]) != cls.arch:
                    raise ModelError(f"{p}: not the weights of a CNN")
                ops = []
                for d in json.loads(str(z["layers"])):
                    op = LayerOp(str(d["kind"]), str(d["name"]), str(d["act"]), int(d["size"]))
                    if op.kind in ("conv", "dense"):
                        op.kernel, op.bias = z[f"{op.name}_kernel"], z[f"{op.name}_bias"]
                    ops.append(op)
                meta = {k[5:]: str(z[k]) for k in z.files if k.startswith("meta_")}
            predictor = cls(ops, name=p.name)
        except FileNotFoundError as exc:
            raise ModelError(f"{p}: no such weights file") from exc
        except ModelError as exc:
            raise ModelError(str(exc) if str(exc).startswith(f"{p}:") else f"{p}: {exc}") from exc
        except DAMAGED as exc:
            raise ModelError(f"{p}: not a valid CNN weights file ({type(exc).__name__}: {str(exc)[:200]})") from exc
        predictor.meta = meta
        return predictor

    @classmethod
    def from_keras(cls, model: object, name: str = "") -> NumpyCnnPredictor:
        """Copy the weights of a Keras CNN (see ``ml/cnn_convert.py`` for the layers it accepts)."""
        from mnist_gui.ml.cnn_convert import ops_from_keras

        return cls(ops_from_keras(model), name=name)


def check_numeric(where: str, *arrays: object) -> None:
    """A ModelError unless each array holds real numbers (text, booleans or complex values are not weights)."""
    for a in arrays:
        dtype = np.asarray(a).dtype
        if dtype.kind not in "fiu":
            raise ModelError(f"{where}: holds {dtype} values, not numbers")


def weights_arch(path: str | os.PathLike[str]) -> str:
    """``"cnn"`` or ``"mlp"`` for a ``.weights.npz`` (by its ``arch`` marker; the MLP's files have none)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return str(z["arch"]) if "arch" in z.files else "mlp"
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: no such weights file") from exc
    except DAMAGED as exc:
        raise ModelError(f"{path}: not a valid weights file ({exc})") from exc
