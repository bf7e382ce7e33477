"""Keras CNN → the numpy predictor's layer list (``NumpyCnnPredictor.from_keras``): weights copied, BatchNorm folded.

Imported only when a Keras model is at hand; the numpy predictor itself (``ml/cnn.py``) never needs it.
"""

from __future__ import annotations

import numpy as np

from mnist_gui.errors import ModelError
from mnist_gui.ml.cnn import SIDE, LayerOp


def ops_from_keras(model: object) -> list[LayerOp]:
    """The forward-pass steps of a Keras CNN made of Conv2D, BatchNormalization, ReLU, MaxPooling2D, Flatten and
    Dense layers (Reshape to 28×28×1, Dropout and the input are skipped). Raises :class:`ModelError` otherwise."""
    ops: list[LayerOp] = []
    for layer in model.layers:  # type: ignore[attr-defined]
        kind, cfg = type(layer).__name__, layer.get_config()
        prev = ops[-1] if ops else None
        act = cfg.get("activation", "linear")
        if kind == "Conv2D":
            if cfg.get("data_format", "channels_last") != "channels_last" or tuple(cfg["dilation_rate"]) != (1, 1) \
                    or cfg.get("groups", 1) != 1 or tuple(cfg["strides"]) != (1, 1) or cfg["padding"] != "valid":
                raise ModelError(f"layer {layer.name}: only channels-last, 'valid', stride-1 convolutions are supported")
            w = layer.get_weights()
            bias = w[1] if cfg["use_bias"] else np.zeros(w[0].shape[-1], np.float32)
            ops.append(LayerOp("conv", layer.name, act, 0, w[0], bias))
        elif kind == "Dense":
            w = layer.get_weights()
            bias = w[1] if cfg["use_bias"] else np.zeros(w[0].shape[-1], np.float32)
            ops.append(LayerOp("dense", layer.name, act, kernel=w[0], bias=bias))
        elif kind == "BatchNormalization":
            if prev is None or prev.kernel is None or prev.bias is None or prev.act != "linear" or cfg["axis"] not in (-1, [-1], 3, [3]):
                raise ModelError(f"layer {layer.name}: BatchNormalization must follow a linear Conv2D/Dense on the last axis")
            scale = np.asarray(layer.moving_variance, np.float64) + cfg["epsilon"]
            scale = (np.asarray(layer.gamma, np.float64) if cfg["scale"] else 1.0) / np.sqrt(scale)
            shift = np.asarray(layer.beta, np.float64) if cfg["center"] else 0.0
            prev.bias = ((prev.bias - np.asarray(layer.moving_mean, np.float64)) * scale + shift).astype(np.float32)
            prev.kernel = (prev.kernel * scale).astype(np.float32)
        elif kind in ("ReLU", "Activation") and prev is not None and prev.act == "linear" \
                and (kind == "Activation" and act == "relu" or kind == "ReLU" and not cfg.get("max_value") and not cfg.get("negative_slope")
                     and not cfg.get("threshold")):
            prev.act = "relu"
        elif kind == "MaxPooling2D":
            size, strides = tuple(cfg["pool_size"]), tuple(cfg["strides"] or cfg["pool_size"])
            if len(set(size)) != 1 or strides != size or cfg["padding"] != "valid":
                raise ModelError(f"layer {layer.name}: only square, non-overlapping max-pooling is supported")
            ops.append(LayerOp("pool", layer.name, size=int(size[0])))
        elif kind == "Flatten":
            ops.append(LayerOp("flatten", layer.name))
        elif kind == "Reshape" and tuple(cfg["target_shape"]) != (SIDE, SIDE, 1) or kind not in ("Reshape", "Dropout", "InputLayer"):
            raise ModelError(f"layer {layer.name} ({kind}) is not part of an MNIST CNN this app can run")
    if ops and ops[-1].act != "softmax":
        raise ModelError(f"the last layer's activation is {ops[-1].act!r}, expected 'softmax'")
    return ops
