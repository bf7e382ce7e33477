"""The :class:`Explainer` interface that :mod:`mnist_gui.ml.explain` works through, and the MLP's explainer.

:class:`LayerInfo` describes a layer, :class:`Explainer` is the ABC a predictor (or its adapter) implements,
and :class:`MlpExplainer` serves ``NumpyPredictor`` (the CNN's adapter is in :mod:`mnist_gui.ml.explain_conv`).
Numpy only, thread-safe. :mod:`mnist_gui.ml.explain` re-exports every name here: import them from there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from mnist_gui.ml.inference import NumpyPredictor

SIDE = 28


@dataclass(frozen=True)
class LayerInfo:
    """One layer after the input. ``kind``: ``"dense"``, ``"conv"``, ``"pool"`` (hidden) or ``"output"``."""

    index: int
    name: str
    kind: str
    output_shape: tuple[int, ...]  # per image: (units,) for dense, (H, W, C) for conv/pool
    params: int
    activation: str

    @property
    def units(self) -> int:
        """Dense units, or channels of a feature map (channels last)."""
        return self.output_shape[-1]


class Explainer(ABC):
    """What the functions of this module need from a model. Subclass it for a new kind of predictor."""

    @abstractmethod
    def layers(self) -> list[LayerInfo]: ...

    @abstractmethod
    def forward_all(self, x: np.ndarray, upto: int | None = None) -> list[np.ndarray]:
        """``(N, 28, 28)`` float32 in [0, 1] → activations of layers ``0..upto`` (all by default), float32."""

    @abstractmethod
    def logit_gradient(self, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``(N, 28, 28)`` and ``(N, 10)`` → ``(N, 28, 28)``: d(weights[n] · logits(x[n])) / d x[n]."""

    @abstractmethod
    def unit_template(self, layer: int, unit: int) -> np.ndarray:
        """The input pattern (dense) or filter (conv) of one unit / channel."""

    def integrated_gradients(self, x: np.ndarray, weights: np.ndarray, alphas: np.ndarray) -> np.ndarray:
        """``x`` times the mean over ``alphas`` (ascending, in (0, 1]) of the gradient of ``weights · logits``
        at ``alpha * x``: ``(28, 28)``. All steps go through the network as one batch; a subclass may
        compute the same sum cheaper (the MLP does)."""
        grads = self.logit_gradient(alphas[:, None, None] * x, np.broadcast_to(weights, (len(alphas), len(weights))))
        return x * grads.mean(axis=0)


class MlpExplainer(Explainer):
    """:class:`NumpyPredictor`'s Dense-relu layers and Dense output (softmax applied outside).
    Holds references to the predictor's read-only arrays only: free to create, thread-safe."""

    def __init__(self, predictor: NumpyPredictor) -> None:
        self._k = predictor.kernels
        self._b = predictor.biases

    def layers(self) -> list[LayerInfo]:
        last = len(self._k) - 1
        return [LayerInfo(i, "dense" if i == 0 else f"dense_{i}", "output" if i == last else "dense",
                          (k.shape[1],), k.size + b.size, "softmax" if i == last else "relu")
                for i, (k, b) in enumerate(zip(self._k, self._b))]

    def forward_all(self, x: np.ndarray, upto: int | None = None) -> list[np.ndarray]:
        last = len(self._k) - 1
        h = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        out = []
        for i in range(last + 1 if upto is None else upto + 1):
            # one image (a stroke): elementwise over its nonzero inputs, no BLAS. On a busy machine a
            # multithreaded BLAS call this small waits far longer for its threads than it computes.
            h = _vecmat(h[0], self._k[i])[None] if len(h) == 1 else h @ self._k[i]
            h += self._b[i]
            if i < last:
                np.maximum(h, 0.0, out=h)
            out.append(h)
        return out

    def logit_gradient(self, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
        # Forward keeping each row's ReLU mask (every integration step has its own), then back through
        # the transposed kernels: the whole batch is a handful of matrix products.
        h = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        masks = []
        for k, b in zip(self._k[:-1], self._b[:-1]):
            h = h @ k
            h += b
            masks.append(h > 0)
            h *= masks[-1]
        g = np.asarray(weights, dtype=np.float32) @ self._k[-1].T
        for k, m in zip(reversed(self._k[:-1]), reversed(masks)):
            g *= m
            g = g @ k.T
        return g.reshape(len(x), SIDE, SIDE)

    def unit_template(self, layer: int, unit: int) -> np.ndarray:
        # First layer: the unit's kernel column. Deeper: the linear chain down to the input (ReLU and biases
        # ignored), i.e. the weighted sum of the templates of the layer below.
        v = self._k[layer][:, unit]
        for k in reversed(self._k[:layer]):
            v = k @ v
        return np.asarray(v, dtype=np.float32).reshape(SIDE, SIDE)

    def integrated_gradients(self, x: np.ndarray, weights: np.ndarray, alphas: np.ndarray) -> np.ndarray:
        # The batched pass with the first layer folded: it is linear in alpha, pre(alpha * x) = alpha * (x @ K0)
        # + b0, so one vector product replaces a (steps × 784) @ (784 × d0) one; and the mean of the steps'
        # input gradients is the mean of their first-layer gradients times K0^T, one product again. The same
        # masks and sums as the generic pass, ~2.5x fewer multiply-adds; only deeper layers see the batch
        # (and use BLAS: the first layer's two products are elementwise over the ink, see forward_all).
        w = np.asarray(weights, dtype=np.float32)
        flat = np.asarray(x, dtype=np.float32).reshape(-1)
        if len(self._k) == 1:  # no hidden layer: the logits are linear in the input
            return (flat * (self._k[0] @ w)).reshape(SIDE, SIDE)
        ink = np.flatnonzero(flat)  # blank pixels get 0 whatever their gradient: only ink rows of K0 matter
        k0 = self._k[0][ink]
        h = alphas[:, None].astype(np.float32) * (k0 * flat[ink, None]).sum(axis=0) + self._b[0]
        masks = [h > 0]
        h *= masks[0]
        for k, b in zip(self._k[1:-1], self._b[1:-1]):
            h = h @ k
            h += b
            masks.append(h > 0)
            h *= masks[-1]
        g = np.broadcast_to(w @ self._k[-1].T, (len(alphas), self._k[-1].shape[0]))
        for i in range(len(masks) - 1, 0, -1):
            g = (g * masks[i]) @ self._k[i].T
        out = np.zeros_like(flat)
        out[ink] = flat[ink] * (k0 * (g * masks[0]).mean(axis=0)).sum(axis=1)
        return out.reshape(SIDE, SIDE)


def _vecmat(v: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``v @ k`` for one vector without BLAS, from the rows of ``k`` where ``v`` is nonzero (ink, ReLU: sparse)."""
    nz = np.flatnonzero(v)
    return (k[nz] * v[nz, None]).sum(axis=0)
