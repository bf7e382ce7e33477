"""The Qt-free core of the Inside view: saliency, activations, unit templates, top images, the map."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mnist_gui.ml import explain
from mnist_gui.ml.inference import NumpyPredictor, load_default_predictor

PIXEL = 14 * 28 + 9  # the one pixel the hand-built model looks at


@pytest.fixture(scope="module")
def default() -> NumpyPredictor:
    return load_default_predictor()


def one_pixel_model() -> NumpyPredictor:
    """Logit 3 = 2 · relu(pixel), logit 5 = -relu(pixel); every other weight 0."""
    k0 = np.zeros((784, 4), np.float32)
    k0[PIXEL, 0] = 1.0
    k1 = np.zeros((4, 10), np.float32)
    k1[0, 3], k1[0, 5] = 2.0, -1.0
    return NumpyPredictor([k0, k1], [np.zeros(4, np.float32), np.zeros(10, np.float32)])


def scribble(seed: int = 0) -> np.ndarray:
    x = np.zeros((28, 28), np.float32)
    x[6:22, 8:20] = np.random.default_rng(seed).uniform(0, 1, (16, 12)) > 0.6
    x.flat[PIXEL] = 0.8
    return x


def test_saliency_of_a_one_pixel_model_lights_that_pixel_only():
    s = explain.saliency(one_pixel_model(), scribble(), 3)
    assert s.shape == (28, 28)
    assert s.flat[PIXEL] == pytest.approx(2 * 0.8, rel=1e-5)  # = the logit's change from the blank image
    others = np.delete(s.ravel(), PIXEL)
    assert np.abs(others).max() < 1e-6


def test_positive_means_evidence_for_the_target(default):
    model = one_pixel_model()
    assert explain.saliency(model, scribble(), 3).flat[PIXEL] > 0  # ink there raises logit 3
    assert explain.saliency(model, scribble(), 5).flat[PIXEL] < 0  # and lowers logit 5
    # on the real model: the map adds up to the predicted logit's rise from a blank image (completeness)
    x = scribble(1)
    ex = explain.explainer_for(default)
    z = ex.forward_all(x[None])[-1][0] - ex.forward_all(np.zeros((1, 28, 28), np.float32))[-1][0]
    c = int(np.argmax(z))
    s = explain.saliency(default, x, c, steps=128)
    assert s.sum() == pytest.approx(z[c], rel=0.05)
    assert np.all(s[x == 0] == 0)  # blank pixels carry no evidence


def test_why_not_is_the_difference_and_swapping_negates(default):
    x = scribble(2)
    a = explain.saliency(default, x, 4, against=9)
    b = explain.saliency(default, x, 9, against=4)
    np.testing.assert_allclose(a, -b, atol=1e-6)
    np.testing.assert_allclose(a, explain.saliency(default, x, 4) - explain.saliency(default, x, 9), atol=1e-5)
    assert not np.any(explain.saliency(default, x, 4, against=4))
    assert "rather than 9" in explain.saliency_legend(4, against=9)
    with pytest.raises(ValueError):
        explain.saliency(default, x, 10)
    with pytest.raises(ValueError):
        explain.saliency(default, x[:27], 1)


def test_mlp_shortcut_equals_the_batched_integral(default):
    """``MlpExplainer.integrated_gradients`` (first layer folded) equals the generic all-steps-in-one-batch pass."""

    class Generic(explain.MlpExplainer):
        integrated_gradients = explain.Explainer.integrated_gradients  # the default a CNN adapter would inherit

    generic = Generic(default)
    assert explain.explainer_for(generic) is generic  # an Explainer is used as it is
    x = scribble(3)
    np.testing.assert_allclose(explain.saliency(generic, x, 7, against=1), explain.saliency(default, x, 7, against=1), atol=1e-5)


def random_mlp(hidden: tuple[int, ...], seed: int) -> NumpyPredictor:
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    kernels = [rng.normal(0, 1 / np.sqrt(m), (m, n)).astype(np.float32) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0, 0.3, n).astype(np.float32) for n in sizes[1:]]  # both signs: units switch on the path
    return NumpyPredictor(kernels, biases)


@pytest.mark.parametrize("hidden", [(64,), (64, 48), (64, 48, 32)])
def test_mlp_integrated_gradients_equal_the_batched_pass_at_any_depth(hidden):
    model = random_mlp(hidden, seed=len(hidden))
    fast, generic = explain.MlpExplainer(model), explain.MlpExplainer(model)
    w = np.zeros(10, np.float32)
    w[2], w[6] = 1.0, -1.0
    alphas = (np.arange(32, dtype=np.float32) + 0.5) / 32
    for seed in range(3):
        x = scribble(seed)
        np.testing.assert_allclose(fast.integrated_gradients(x, w, alphas),
                                   explain.Explainer.integrated_gradients(generic, x, w, alphas), atol=1e-5)
        # one image (no BLAS) and a batch (BLAS) give the same activations
        one, batch = fast.forward_all(x[None]), fast.forward_all(np.stack([x, x]))
        for a, b in zip(one, batch):
            np.testing.assert_allclose(a[0], b[1], rtol=1e-5, atol=1e-5)


def test_unknown_predictor_is_refused():
    with pytest.raises(TypeError, match="register_explainer"):
        explain.saliency(object(), scribble(), 1)


def test_activations_equal_a_keras_forward_pass(mnist):
    import keras

    from mnist_gui.ml.model import ModelSpec, build_model

    model = build_model(ModelSpec(hidden_units=(32, 16)), seed=3)
    pred = NumpyPredictor.from_keras(model)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    probe = keras.Model(model.inputs, [layer.output for layer in dense])
    x = mnist.x_test[:8].astype(np.float32) / 255
    outs = [np.asarray(o) for o in probe.predict(x, verbose=0)]
    for n in range(len(x)):
        acts = explain.activations(pred, x[n])
        assert [h.values.shape for h in acts.hidden] == [(32,), (16,)]
        assert [h.info.kind for h in acts.hidden] == ["dense", "dense"]
        for h, ref in zip(acts.hidden, outs):
            np.testing.assert_allclose(h.values, ref[n], atol=1e-5)
        np.testing.assert_allclose(acts.probabilities, outs[-1][n], atol=1e-5)
        kernel, bias = dense[-1].get_weights()
        np.testing.assert_allclose(acts.logits, outs[1][n] @ kernel + bias, atol=1e-5)
        assert acts.predicted == int(np.argmax(outs[-1][n]))


def test_layers_describe_the_model(default):
    layers = explain.explainer_for(default).layers()
    assert [(i.kind, i.output_shape, i.params) for i in layers] == [
        ("dense", (512,), 784 * 512 + 512), ("dense", (512,), 512 * 512 + 512), ("output", (10,), 512 * 10 + 10)]


def test_unit_templates(default):
    np.testing.assert_array_equal(explain.unit_template(default, 0, 7).ravel(), default.kernels[0][:, 7])
    # second layer: the first-layer templates summed with the unit's incoming weights
    expected = sum(default.kernels[1][j, 5] * default.kernels[0][:, j] for j in range(512))
    np.testing.assert_allclose(explain.unit_template(default, 1, 5).ravel(), expected, atol=1e-4)
    with pytest.raises(ValueError):
        explain.unit_template(default, 0, 512)


@pytest.mark.parametrize(("layer", "k", "chunk"), [(0, 9, 100), (1, 9, 4096), (1, 70, 150)])
def test_top_images_are_the_argmax_of_each_unit(default, mnist, layer, k, chunk):
    images = mnist.x_train[:700]
    top = explain.top_images(default, layer, images, k=k, chunk=chunk)
    acts = explain.explainer_for(default).forward_all(images.astype(np.float32) / 255, upto=layer)[-1].T  # (units, N)
    assert top.indices.shape == top.values.shape == (acts.shape[0], k)
    # brute force: sort every unit's activations (ties: lower index first, as top_images promises)
    brute = np.lexsort((np.broadcast_to(np.arange(acts.shape[1]), acts.shape), -acts), axis=1)[:, :k]
    best = np.take_along_axis(acts, brute, axis=1)
    # the chosen images carry the k highest activations (up to float rounding, which depends on the batch)
    np.testing.assert_allclose(np.take_along_axis(acts, top.indices, axis=1), best, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(top.values, best, rtol=1e-5, atol=1e-6)
    assert all(len(set(row)) == k for row in top.indices.tolist())
    assert np.mean(top.indices == brute) > 0.99  # the same images, bar near-ties
    dead = acts.max(axis=1) == 0  # such a unit ties at 0 on every image: the first k, deterministically
    assert np.all(top.indices[dead] == np.arange(k))


def test_top_images_of_all_hidden_layers_in_one_pass(default, mnist):
    images = mnist.x_train[:500]
    both = explain.top_images_per_layer(default, images, k=5)
    assert [t.layer for t in both] == [0, 1]
    for t in both:
        single = explain.top_images(default, t.layer, images, k=5)
        np.testing.assert_array_equal(t.indices, single.indices)
        np.testing.assert_array_equal(t.values, single.values)


def test_embedding_is_deterministic_and_projects_onto_its_own_points(default, mnist):
    images = mnist.x_test[:1000]
    a = explain.embedding(default, images, n=300)
    b = explain.embedding(default, images, n=300)
    assert a.points.shape == (300, 2) and a.indices.shape == (300,)
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert a.explained[0] >= a.explained[1] > 0
    for j in (0, 123, 299):
        acts = explain.activations(default, images[a.indices[j]].astype(np.float32) / 255)
        np.testing.assert_allclose(a.project(acts.hidden[a.layer].values), a.points[j], atol=1e-3)
    many = explain.explainer_for(default).forward_all(images[a.indices[:5]].astype(np.float32) / 255, upto=a.layer)[-1]
    np.testing.assert_allclose(a.project(many), a.points[:5], atol=1e-3)


def test_works_without_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "from mnist_gui.ml import explain\n"
        "from mnist_gui.ml.inference import load_default_predictor\n"
        "p = load_default_predictor(); x = np.zeros((28, 28), np.float32); x[8:20, 13:15] = 1\n"
        "a = explain.activations(p, x); explain.saliency(p, x, a.predicted, against=7)\n"
        "explain.unit_template(p, 1, 3); explain.top_images(p, 0, np.zeros((20, 28, 28), np.uint8))\n"
        "explain.embedding(p, np.random.default_rng(0).random((50, 28, 28), dtype=np.float32))\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
