"""Inside the network: activations, unit templates, saliency ("why…?" / "why not…?"), top images, a map.

Qt-free and TensorFlow-free; everything here is numpy and fast enough to run per stroke (activations,
saliency) or once per model off the GUI thread (top images, map). Functions are pure (thread-safe) and
return frozen dataclasses or plain arrays.

Every public function takes a *predictor* (what :mod:`mnist_gui.ml.inference` returns) and reaches it
through an :class:`Explainer`, an ABC of four methods (and one with a default):

- ``layers()`` → a :class:`LayerInfo` per layer after the input (kind, per-image output shape, parameters);
- ``forward_all(x, upto)`` → each layer's activations for a batch; the output layer gives *logits*;
- ``logit_gradient(x, weights)`` → per image, the gradient of ``weights[n] · logits(x[n])`` w.r.t. the input;
- ``unit_template(layer, unit)`` → what a unit looks for (an input-space image for dense layers);
- ``integrated_gradients(x, weights, alphas)`` → attributions along the path ``alpha * x``.

``NumpyPredictor`` (the MLP) is served by :class:`MlpExplainer` through a registry, so predictors carry no
extra attributes. A CNN predictor either subclasses :class:`Explainer` itself or registers an adapter with
:func:`register_explainer`; its layers are then kind ``"conv"``/``"pool"`` with activations shaped
``(N, H, W, C)`` (feature maps; a "unit" is a channel, excited by its spatial maximum) and templates
that are filters. The functions below already handle that shape and need no change.

:class:`LayerInfo`, :class:`Explainer` and :class:`MlpExplainer` are defined in :mod:`mnist_gui.ml.explain_base`
and re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_gui.ml.explain_base import SIDE, Explainer, LayerInfo, MlpExplainer
from mnist_gui.ml.inference import NUM_CLASSES, NumpyPredictor

IG_STEPS = 32  # midpoint rule; the map's sum is within ~5 % (median) of the logit change, and 32 rows cost ~1 ms


_ADAPTERS: dict[type, Callable[[Any], Explainer]] = {NumpyPredictor: MlpExplainer}


def register_explainer(cls: type, factory: Callable[[Any], Explainer]) -> None:
    """Serve predictors of ``cls`` (and subclasses) with ``factory(predictor)``: the hook for the CNN."""
    _ADAPTERS[cls] = factory


def explainer_for(predictor: Any) -> Explainer:
    """The predictor itself if it implements :class:`Explainer`, else its registered adapter."""
    if isinstance(predictor, Explainer):
        return predictor
    for cls in type(predictor).__mro__:
        if cls in _ADAPTERS:
            return _ADAPTERS[cls](predictor)
    raise TypeError(f"no explainer for {type(predictor).__name__}; see register_explainer()")


def _image(image: np.ndarray) -> np.ndarray:
    x = np.asarray(image, dtype=np.float32)
    if x.shape != (SIDE, SIDE):
        raise ValueError(f"expected a (28, 28) image, got {x.shape}")
    return x


def _as_inputs(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST (ink 0..255) or float [0, 1] → float32 [0, 1]."""
    if images.dtype == np.uint8:
        return np.multiply(images, np.float32(1 / 255), dtype=np.float32)  # one pass, no uint8→float copy first
    return np.asarray(images, dtype=np.float32)


def _per_unit(a: np.ndarray) -> np.ndarray:
    """``(N, units)`` stays; feature maps ``(N, H, W, C)`` → each channel's spatial maximum ``(N, C)``."""
    return a if a.ndim == 2 else a.reshape(len(a), -1, a.shape[-1]).max(axis=1)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- saliency ---------------------------------------------------------------------------------------------
def saliency(predictor: Any, image: np.ndarray, target: int, *, against: int | None = None,
             steps: int = IG_STEPS) -> np.ndarray:
    """Integrated gradients of the ``target`` logit (minus the ``against`` logit) from a blank image.

    Returns ``(28, 28)`` float32; positive = the pixel's ink pushes toward ``target`` (and away from
    ``against``), negative = away. The map sums (up to the quadrature error) to the change of that logit
    (difference) from the blank image to ``image``; blank pixels are exactly 0, and swapping ``target``
    and ``against`` exactly negates the map. All ``steps`` points of the path go through the network as
    one batch (midpoint rule), so a map costs a few matrix products (~1 ms).

    Why this method: on the pixel-deletion check (``benchmarks/inside.py``) it scores 0.33, against 0.42
    for plain gradients, 0.41 for gradient × input, 0.45 for integrated gradients from a blurred baseline
    (and 0.39 for occlusion in an earlier prototype); it passes the weight-randomisation check (rank corr. ≈ 0).
    """
    x = _image(image)
    for c in (target, against):
        if c is not None and not 0 <= c < NUM_CLASSES:
            raise ValueError(f"class index {c} is outside 0..{NUM_CLASSES - 1}")
    w = np.zeros(NUM_CLASSES, dtype=np.float32)
    w[int(target)] = 1.0
    if against is not None:
        w[int(against)] -= 1.0
    alphas = (np.arange(steps, dtype=np.float32) + 0.5) / steps
    return explainer_for(predictor).integrated_gradients(x, w, alphas)


def saliency_legend(target: int, against: int | None = None) -> str:
    """The one line the UI shows under a map (warm = positive values, cool = negative)."""
    if against is None:
        return f"Warm: ink that makes it more a {target}; cool: ink that argues against {target}."
    return f"Warm: ink that says {target} rather than {against}; cool: ink that says {against} rather than {target}."


# --- activations ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerActivation:
    info: LayerInfo
    values: np.ndarray  # (units,) for dense, (H, W, C) for conv/pool


@dataclass(frozen=True)
class Activations:
    """One image through the network: the hidden layers, the output's logits and probabilities."""

    hidden: tuple[LayerActivation, ...]  # hidden[i] is layer i of ``layers()``
    logits: np.ndarray  # (10,)
    probabilities: np.ndarray  # (10,)

    @property
    def predicted(self) -> int:
        return int(np.argmax(self.probabilities))


def activations(predictor: Any, image: np.ndarray) -> Activations:
    """``image`` (28, 28) float32 in [0, 1] through the network, every layer kept (one forward pass)."""
    ex = explainer_for(predictor)
    infos = ex.layers()
    outs = ex.forward_all(_image(image)[None])
    logits = outs[-1][0]
    hidden = tuple(LayerActivation(i, a[0]) for i, a in zip(infos[:-1], outs[:-1]))
    return Activations(hidden, logits, _softmax(logits))


# --- one unit ---------------------------------------------------------------------------------------------
def unit_template(predictor: Any, layer: int, unit: int) -> np.ndarray:
    """What ``unit`` of ``layer`` (an index into the explainer's ``layers()``) looks for; ``(28, 28)`` for the MLP."""
    ex = explainer_for(predictor)
    info = ex.layers()[layer]
    if not 0 <= unit < info.units:
        raise ValueError(f"layer {info.name} has {info.units} units; got unit {unit}")
    return ex.unit_template(layer, unit)


@dataclass(frozen=True)
class TopImages:
    """Per unit of ``layer``, the ``k`` images that excite it most, most exciting first."""

    layer: int
    indices: np.ndarray  # (units, k) int64 into the images given
    values: np.ndarray  # (units, k) float32: the unit's activation on them (all 0: a dead unit)


def top_images(predictor: Any, layer: int, images: np.ndarray, k: int = 9, chunk: int = 4096) -> TopImages:
    """Argmax of every unit's activation over ``images`` (uint8 MNIST or float [0, 1], (N, 28, 28)).

    Exact, deterministic (equal activations: the lower index first) and chunked, so memory stays about
    ``chunk × (784 + units)`` floats whatever N.
    """
    return top_images_per_layer(predictor, images, k, [layer], chunk)[0]


def top_images_per_layer(predictor: Any, images: np.ndarray, k: int = 9, layers: list[int] | None = None,
                         chunk: int = 4096) -> list[TopImages]:
    """:func:`top_images` for several layers (default: every hidden layer) in one pass over the images."""
    ex = explainer_for(predictor)
    if layers is None:
        layers = [i.index for i in ex.layers() if i.kind != "output"]
    k = min(k, len(images))
    if k < 1 or not layers:
        raise ValueError("top_images needs at least one image and one layer")
    chunk = _chunk_for(ex, max(layers), chunk)
    best: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(layers)
    start, size = 0, max(64, k)
    while start < len(images):
        outs = ex.forward_all(_as_inputs(images[start:start + size]), upto=max(layers))
        for j, layer in enumerate(layers):
            a = _per_unit(outs[layer])  # (c, units)
            prev = best[j]
            if prev is None:
                r, u = (ix.ravel() for ix in np.indices(a.shape))
            else:
                # only activations above a unit's current k-th best can enter; after the first few thousand
                # images that is a few per unit per chunk, so the matrix products dominate, not the selection
                r, u = np.nonzero(a > prev[0][:, -1])
            best[j] = _merge_top(prev, a[r, u], r + start, u, a.shape[1], k)
        start += size
        size = min(size * 4, chunk)  # small first chunks make the threshold selective early
    return [TopImages(layer, b[1], b[0]) for layer, b in zip(layers, best) if b is not None]


CHUNK_FLOATS = 8 << 20  # activations held per chunk of images: 32 MB


def _chunk_for(ex: Any, upto: int, most: int) -> int:
    """Images per forward pass so that every layer's outputs up to ``upto`` fit in ``CHUNK_FLOATS``.

    The CNN's maps are ~31,000 floats an image: 4,096 images at once meant allocations of ~400 MB, and the
    kernel's page-table work for those (faulting them in, unmapping them) stalled the GUI thread ~100 ms.
    """
    per_image = 784 + sum(int(np.prod(i.output_shape)) for i in ex.layers() if i.index <= upto)
    return max(64, min(most, CHUNK_FLOATS // per_image))


def _merge_top(best: tuple[np.ndarray, np.ndarray] | None, v: np.ndarray, i: np.ndarray, u: np.ndarray,
               units: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Running top ``k`` (values, images) per unit ∪ candidates (value ``v``, image ``i``, unit ``u``) → new, sorted."""
    if best is not None:
        v = np.concatenate([best[0].ravel(), v])
        i = np.concatenate([best[1].ravel(), i])
        u = np.concatenate([np.repeat(np.arange(units), k), u])
    order = np.lexsort((i, -v, u))  # by unit, then value descending, then index ascending
    counts = np.bincount(u, minlength=units)
    take = order[((np.cumsum(counts) - counts)[:, None] + np.arange(k)).ravel()]
    return v[take].reshape(units, k).astype(np.float32), i[take].reshape(units, k).astype(np.int64)


# --- map of the hidden space ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Embedding:
    """2-D PCA of one layer's activations. ``points[j]`` is image ``indices[j]`` of the images given."""

    layer: int
    indices: np.ndarray  # (n,) int64
    points: np.ndarray  # (n, 2) float32
    mean: np.ndarray  # the layer's per-image shape: (d,) dense, (H, W, C) conv
    components: np.ndarray  # (2, d): unit-length principal axes
    explained: np.ndarray  # (2,) share of the variance each axis carries

    def project(self, point_activations: np.ndarray) -> np.ndarray:
        """Activations of ``layer`` for one image (e.g. ``activations(...).hidden[layer].values``) → ``(2,)``;
        a batch ``(m, ...)`` of them → ``(m, 2)``. Places the current drawing on the same map."""
        a = np.asarray(point_activations, dtype=np.float32)
        if a.shape == self.mean.shape:
            return (a - self.mean).reshape(-1) @ self.components.T
        return (a - self.mean).reshape(len(a), -1) @ self.components.T


def embedding(predictor: Any, images: np.ndarray, n: int = 5000, seed: int = 0) -> Embedding:
    """PCA map of the last hidden layer over ``n`` images (a fixed-seed sample; all if fewer)."""
    ex = explainer_for(predictor)
    hidden = [i.index for i in ex.layers() if i.kind != "output"]
    if not hidden:
        raise ValueError("the model has no hidden layer to map")
    layer = hidden[-1]
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(images), n, replace=False)) if len(images) > n else np.arange(len(images))
    step = _chunk_for(ex, layer, len(idx))
    a = np.concatenate([ex.forward_all(_as_inputs(images[idx[s:s + step]]), upto=layer)[-1] for s in range(0, len(idx), step)])
    mean = a.mean(axis=0)
    centred = (a - mean).reshape(len(a), -1)
    if centred.shape[1] < 2:
        raise ValueError("a 2-D map needs a layer of at least 2 units")
    cov = (centred.T @ centred).astype(np.float64) / max(len(a) - 1, 1)  # d×d: far smaller than n×d
    evals, comps = _top_eigen(cov, 2)
    # eigenvectors have no sign: make each axis's largest loading positive so the map never flips
    comps *= np.sign(comps[np.arange(2), np.abs(comps).argmax(axis=1)])[:, None]
    comps = comps.astype(np.float32)
    total = float(np.trace(cov)) or 1.0  # = the sum of all eigenvalues
    return Embedding(layer, idx.astype(np.int64), centred @ comps.T, mean, comps, (evals / total).astype(np.float32))


def _top_eigen(cov: np.ndarray, m: int, block: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` largest eigenpairs of a symmetric PSD matrix: ``(m,)`` values, ``(m, d)`` vectors.

    Subspace iteration on ``cov^8`` (three squarings, scaled so nothing overflows) from a fixed-seed start,
    then Rayleigh-Ritz: equivalent to 32 plain iterations, converging as (λ13/λ2)^32 — float precision for
    these models. Why not ``eigh``: 0.1 s on a quiet machine but seconds on a busy one (hundreds of small,
    thread-synchronised LAPACK steps); this is a dozen large products.
    """
    d = len(cov)
    power = cov / (np.trace(cov) or 1.0)
    for _ in range(3):
        power = power @ power
    q = np.random.default_rng(0).standard_normal((d, min(block, d)))
    for _ in range(4):
        q, _ = np.linalg.qr(power @ q)
    evals, vecs = np.linalg.eigh(q.T @ cov @ q)
    top = np.argsort(evals)[::-1][:m]
    return evals[top].clip(min=0), (q @ vecs[:, top]).T


SHOWN = 64  # units whose first-layer weights the Inside tab follows through training


def first_layer_pictures(kernel: np.ndarray) -> np.ndarray:
    """A first-layer kernel → ``(≤64, h, w)`` pictures of a fixed set of units: MLP (784, units) → 28×28
    templates of units spread evenly over the layer; conv (kh, kw, 1, filters) → its first 64 filters."""
    k = np.asarray(kernel, dtype=np.float32)
    if k.ndim == 2 and k.shape[0] == 28 * 28:
        pick = np.unique(np.linspace(0, k.shape[1] - 1, min(SHOWN, k.shape[1])).round().astype(int))
        return k[:, pick].T.reshape(-1, 28, 28)
    if k.ndim == 4:
        return np.moveaxis(k[:, :, 0, :SHOWN], -1, 0)
    raise ValueError(f"not a first-layer kernel: shape {k.shape}")


def first_kernel(predictor: Any) -> np.ndarray | None:
    """A numpy predictor's first-layer kernel (the MLP's first Dense, the CNN's conv1), None if it has none."""
    kernels = getattr(predictor, "kernels", None)
    if callable(kernels):
        kernels = kernels()
    return np.asarray(kernels[0]) if kernels else None


def model_first_layer(predictor: Any) -> np.ndarray | None:
    """:func:`first_layer_pictures` of a predictor's own first layer; None for a model without one."""
    kernel = first_kernel(predictor)
    try:
        return first_layer_pictures(kernel) if kernel is not None else None
    except ValueError:
        return None


def add_weight_snapshot(snapshots: list[tuple[int, np.ndarray]], epoch: int, kernel: np.ndarray) -> None:
    """Append ``epoch``'s (0-based) first-layer pictures to a run's ``snapshots``; an epoch not after the last
    one starts a new run. Raises ``ValueError`` (the list unchanged) for a kernel that is no first layer."""
    pics = first_layer_pictures(kernel)
    if snapshots and epoch <= snapshots[-1][0]:
        snapshots.clear()  # a new run
    snapshots.append((int(epoch), pics))
