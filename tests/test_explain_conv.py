"""The CNN adapter of mnist_gui.ml.explain: forward equal to the predictor, exact gradient, sane saliency."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_gui.ml import explain
from mnist_gui.ml.cnn import NumpyCnnPredictor, _Op
from mnist_gui.ml.explain_conv import CnnExplainer


def small_cnn(seed: int = 0) -> NumpyCnnPredictor:
    rng = np.random.default_rng(seed)

    def r(*shape: int, s: float) -> np.ndarray:
        return rng.normal(0, s, shape).astype(np.float32)

    return NumpyCnnPredictor([
        _Op("conv", "conv1", "relu", 0, r(5, 5, 1, 6, s=0.3), r(6, s=0.1)),
        _Op("pool", "pool1", size=2),
        _Op("conv", "conv2", "relu", 0, r(3, 3, 6, 8, s=0.2), r(8, s=0.1)),
        _Op("pool", "pool2", size=2),
        _Op("flatten", "flatten"),
        _Op("dense", "dense", "relu", kernel=r(200, 16, s=0.1), bias=r(16, s=0.1)),
        _Op("dense", "output", "softmax", kernel=r(16, 10, s=0.3), bias=np.zeros(10, np.float32)),
    ])


def test_registered_for_the_cnn_predictor() -> None:
    assert isinstance(explain.explainer_for(small_cnn()), CnnExplainer)


def test_forward_equals_the_predictor() -> None:
    p = small_cnn()
    x = np.random.default_rng(1).random((5, 28, 28)).astype(np.float32)
    maps = p.feature_maps(x, logits=True)
    infos = explain.explainer_for(p).layers()
    outs = explain.explainer_for(p).forward_all(x)
    assert [i.kind for i in infos] == ["conv", "pool", "conv", "pool", "dense", "output"]
    for info, a in zip(infos, outs):
        np.testing.assert_allclose(a, maps[info.name], atol=1e-5)
        assert a.shape[1:] == info.output_shape
    acts = explain.activations(p, x[0])
    np.testing.assert_allclose(acts.probabilities, p.predict(x[:1])[0], atol=1e-6)


def test_gradient_matches_finite_differences() -> None:
    ex = explain.explainer_for(small_cnn())
    rng = np.random.default_rng(2)
    x = rng.random((3, 28, 28))  # float64: the adapter keeps it, so central differences are exact enough
    w = rng.normal(size=(3, 10))
    g = ex.logit_gradient(x, w)
    assert g.shape == (3, 28, 28)

    def f(z: np.ndarray) -> np.ndarray:
        return (ex._run(z, len(ex._ops) - 1, keep=False)[0][-1] * w).sum(axis=1)

    for _ in range(3):
        d = rng.normal(size=x.shape)
        eps = 1e-6
        fd = (f(x + eps * d) - f(x - eps * d)) / (2 * eps)
        np.testing.assert_allclose((g * d).sum(axis=(1, 2)), fd, rtol=1e-4, atol=1e-6)
    # and per pixel, for a few pixels
    for r, c in [(5, 7), (14, 14), (20, 3)]:
        e = np.zeros_like(x)
        e[:, r, c] = 1e-6
        np.testing.assert_allclose(g[:, r, c], (f(x + e) - f(x - e)) / 2e-6, rtol=1e-3, atol=1e-6)


def test_float32_gradient_equals_float64() -> None:
    ex = explain.explainer_for(small_cnn())
    x = np.random.default_rng(3).random((2, 28, 28))
    w = np.eye(10)[[3, 7]]
    np.testing.assert_allclose(ex.logit_gradient(x.astype(np.float32), w), ex.logit_gradient(x, w), atol=1e-4)


def test_saliency_of_a_one_pixel_model_lights_that_pixel() -> None:
    # 1×1 identity convolution, 1×1 pooling: the logit of class 3 reads pixel (9, 17) only
    dense = np.zeros((784, 10), np.float32)
    dense[9 * 28 + 17, 3] = 2.0
    p = NumpyCnnPredictor([
        _Op("conv", "conv1", "relu", 0, np.ones((1, 1, 1, 1), np.float32), np.zeros(1, np.float32)),
        _Op("pool", "pool1", size=1), _Op("flatten", "flatten"),
        _Op("dense", "output", "softmax", kernel=dense, bias=np.zeros(10, np.float32)),
    ])
    image = np.random.default_rng(4).uniform(0.2, 1.0, (28, 28)).astype(np.float32)
    sal = explain.saliency(p, image, 3)
    assert np.unravel_index(np.abs(sal).argmax(), sal.shape) == (9, 17)
    assert sal[9, 17] == pytest.approx(2.0 * image[9, 17], rel=1e-5)  # completeness: the logit's change
    sal[9, 17] = 0
    assert np.abs(sal).max() == 0


def test_saliency_sums_to_the_logit_change_and_negates() -> None:
    p = small_cnn()
    image = np.random.default_rng(5).random((28, 28)).astype(np.float32)
    ex = explain.explainer_for(p)
    z1, z0 = ex.forward_all(image[None])[-1][0], ex.forward_all(np.zeros((1, 28, 28), np.float32))[-1][0]
    sal = explain.saliency(p, image, 4, against=1, steps=128)
    assert sal.sum() == pytest.approx((z1[4] - z1[1]) - (z0[4] - z0[1]), rel=0.05, abs=1e-3)
    np.testing.assert_allclose(explain.saliency(p, image, 1, against=4, steps=128), -sal, atol=1e-6)


def test_templates_top_images_and_map() -> None:
    p = small_cnn()
    shapes = [explain.unit_template(p, i.index, 0).shape for i in explain.explainer_for(p).layers()]
    assert shapes == [(5, 5), (5, 5), (3, 3, 6), (3, 3, 6), (5, 5, 8), (16,)]
    images = (np.random.default_rng(6).random((300, 28, 28)) * 255).astype(np.uint8)
    top = explain.top_images(p, 2, images, k=4)
    per_channel = explain.explainer_for(p).forward_all(images / np.float32(255), upto=2)[2].max(axis=(1, 2))
    for u in range(8):
        assert set(top.indices[u]) == set(np.argsort(-per_channel[:, u], kind="stable")[:4])
    emb = explain.embedding(p, images, n=200)
    assert emb.points.shape == (200, 2)
    assert emb.project(explain.activations(p, images[0] / np.float32(255)).hidden[emb.layer].values).shape == (2,)
