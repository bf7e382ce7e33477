"""The CNN's :class:`~mnist_gui.ml.explain.Explainer`: feature maps and filters, and a numpy backward pass.

Registered for :class:`~mnist_gui.ml.cnn.NumpyCnnPredictor` on import, so every function of
:mod:`mnist_gui.ml.explain` (saliency, activations, unit templates, top images, the map) works on the CNN.
Layers are the predictor's own (conv, pool, dense, output; the flatten step is not a layer); conv and pool
activations are ``(N, H, W, C)`` feature maps. The gradient of ``weights · logits`` w.r.t. the input goes back
through dense (transposed kernel), ReLU (the forward mask), flatten (a reshape), max-pool (to the window's first
maximum, as the forward picked it) and convolution (the transposed im2col product, scattered back tap by tap).
Qt-free, TensorFlow-free, thread-safe (the predictor's arrays are read-only).
"""

from __future__ import annotations

import logging

import numpy as np

from mnist_gui.ml.cnn import ONE_THREAD_MNK, SMALL_WORK_MNK, NumpyCnnPredictor, _conv, _Op
from mnist_gui.ml.explain import SIDE, Explainer, LayerInfo, register_explainer

log = logging.getLogger(__name__)

# per op, what the backward pass needs: its input shape and the ReLU mask or the pool's argmax (or None)
_Saved = tuple[tuple[int, ...], np.ndarray | None]


def _im2col(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """``(n, h, w, c)`` → ``(n·oh·ow, kh·kw·c)`` patches of a 'valid', stride-1 convolution (one copy)."""
    n, h, w, c = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    sn, sh, sw, sc = x.strides
    cols = np.lib.stride_tricks.as_strided(x, (n, oh, ow, kh, kw, c), (sn, sh, sw, sh, sw, sc), writeable=False)
    return cols.reshape(n * oh * ow, kh * kw * c)


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` in row blocks small enough that OpenBLAS stays on the calling thread (see ``cnn.ONE_THREAD_MNK``):
    on a busy machine a product that wakes a second thread waits far longer than it computes."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n > SMALL_WORK_MNK:
        return a @ b
    out = np.empty((m, n), dtype=np.result_type(a, b))
    step = max(1, (ONE_THREAD_MNK - 1) // max(k * n, 1))
    for i in range(0, m, step):
        np.matmul(a[i:i + step], b, out=out[i:i + step])
    return out


def _conv_forward(x: np.ndarray, op: _Op) -> np.ndarray:
    kh, kw, c, f = op.kernel.shape  # type: ignore[union-attr]
    n, h, w, _ = x.shape
    out = _mm(_im2col(np.ascontiguousarray(x), kh, kw), op.kernel.reshape(-1, f))  # type: ignore[union-attr]
    return out.reshape(n, h - kh + 1, w - kw + 1, f) + op.bias


def _conv_backward(g: np.ndarray, op: _Op, in_shape: tuple[int, ...]) -> np.ndarray:
    """Gradient w.r.t. the convolution's input: each output's gradient times the kernel, added at each tap."""
    kh, kw, c, f = op.kernel.shape  # type: ignore[union-attr]
    n, oh, ow, _ = g.shape
    dcols = _mm(g.reshape(-1, f), op.kernel.reshape(-1, f).T).reshape(n, oh, ow, kh, kw, c)  # type: ignore[union-attr]
    dx = np.zeros(in_shape, dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, i:i + oh, j:j + ow, :] += dcols[:, :, :, i, j, :]
    return dx


def _pool_forward(x: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Max-pool and the index (0..p²-1) of each window's first maximum, for the backward pass."""
    n, h, w, c = x.shape
    oh, ow = h // p, w // p
    win = x[:, :oh * p, :ow * p].reshape(n, oh, p, ow, p, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, oh, ow, c, p * p)
    arg = win.argmax(axis=-1)
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], arg


def _pool_backward(g: np.ndarray, arg: np.ndarray, p: int, in_shape: tuple[int, ...]) -> np.ndarray:
    n, oh, ow, c = g.shape
    win = np.zeros((n, oh, ow, c, p * p), dtype=g.dtype)
    np.put_along_axis(win, arg[..., None], g[..., None], axis=-1)
    dx = np.zeros(in_shape, dtype=g.dtype)
    dx[:, :oh * p, :ow * p] = win.reshape(n, oh, ow, c, p, p).transpose(0, 1, 4, 2, 5, 3).reshape(n, oh * p, ow * p, c)
    return dx


class CnnExplainer(Explainer):
    """:class:`NumpyCnnPredictor` seen by :mod:`mnist_gui.ml.explain`; a "unit" of a conv/pool layer is a channel."""

    def __init__(self, predictor: NumpyCnnPredictor) -> None:
        self._p = predictor
        self._ops = [op for op in predictor.ops]
        self._layer_ops = [i for i, op in enumerate(self._ops) if op.kind != "flatten"]  # layer j → op index

    def layers(self) -> list[LayerInfo]:
        return [LayerInfo(j, name, kind, tuple(shape), params, act)
                for j, (name, kind, shape, params, act) in enumerate(self._p.layers())]

    def _run(self, x: np.ndarray, upto_op: int, keep: bool) -> tuple[list[np.ndarray], list[_Saved]]:
        """Forward through ops ``0..upto_op`` with logits (no softmax); per op its output and what the
        backward pass needs (ReLU mask, pool argmax, input shape)."""
        # float64 input stays float64 (the tests' finite differences); the app passes float32
        h: np.ndarray = np.asarray(x, dtype=np.float64 if np.asarray(x).dtype == np.float64 else np.float32).reshape(len(x), SIDE, SIDE, 1)
        outs: list[np.ndarray] = []
        saved: list[_Saved] = []
        for op in self._ops[:upto_op + 1]:
            shape = h.shape
            if op.kind == "conv":
                # float32: the predictor's tuned im2col; float64 (tests): the plain one, same sums
                h = _conv(h, op) + op.bias if h.dtype == np.float32 else _conv_forward(h, op)
            elif op.kind == "dense":
                h = _mm(h, op.kernel) + op.bias  # type: ignore[arg-type]
            elif op.kind == "pool":
                h, arg = _pool_forward(h, op.size)
                if keep:
                    saved.append((shape, arg))
            else:
                h = h.reshape(len(h), -1)
            mask = None
            if op.act == "relu":
                mask = h > 0
                h = h * mask
            if keep and op.kind != "pool":
                saved.append((shape, mask))
            outs.append(h)
        return outs, saved

    def forward_all(self, x: np.ndarray, upto: int | None = None) -> list[np.ndarray]:
        # the predictor's own forward pass (its im2col is tuned for one channel and small batches), in chunks
        names = [self._ops[i].name for i in self._layer_ops]
        names = names[:len(names) if upto is None else upto + 1]
        x = np.asarray(x, dtype=np.float32)
        parts: list[list[np.ndarray]] = []
        for s in range(0, len(x), 256):
            maps = self._p.feature_maps(x[s:s + 256], logits=True)
            parts.append([maps[n] for n in names])
        if len(parts) == 1:
            return parts[0]
        return [np.concatenate(col) for col in zip(*parts)]

    def logit_gradient(self, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        _, saved = self._run(x, len(self._ops) - 1, keep=True)
        g = np.asarray(weights, dtype=np.float64 if x.dtype == np.float64 else np.float32)
        for op, (shape, extra) in zip(reversed(self._ops), reversed(saved)):
            if op.kind == "pool":
                g = _pool_backward(g, extra, op.size, shape)  # type: ignore[arg-type]
                continue
            if extra is not None:  # the ReLU's mask
                g = g * extra
            if op.kind == "dense":
                g = _mm(g, op.kernel.T)  # type: ignore[union-attr]
            elif op.kind == "conv":
                g = _conv_backward(g, op, shape)
            else:  # flatten
                g = g.reshape(shape)
        return g.reshape(len(x), SIDE, SIDE)

    def unit_template(self, layer: int, unit: int) -> np.ndarray:
        """A conv channel: its filter ``(kh, kw, in_channels)`` (first conv: ``(kh, kw)``). A pool channel: the
        filter of the conv before it. A dense unit: its incoming weights shaped as the feature maps it reads."""
        i = self._layer_ops[layer]
        while self._ops[i].kind == "pool" and i > 0:
            i -= 1
        op = self._ops[i]
        if op.kind == "conv":
            k = op.kernel[..., unit]  # type: ignore[index]
            return np.asarray(k[..., 0] if k.shape[-1] == 1 else k, dtype=np.float32)
        if op.kind == "dense":
            col = op.kernel[:, unit]  # type: ignore[index]
            j = i - 1
            while j >= 0 and self._ops[j].kind == "flatten":
                j -= 1
            if j >= 0 and self._ops[j].kind in ("conv", "pool"):
                shape = self.layers()[self._layer_ops.index(j)].output_shape
                return np.asarray(col, dtype=np.float32).reshape(shape)
            return np.asarray(col, dtype=np.float32)
        raise ValueError(f"layer {layer} has no template")


register_explainer(NumpyCnnPredictor, CnnExplainer)
