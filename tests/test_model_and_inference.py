"""The notebook's MLP: parameter count, summary, and the numpy predictor against Keras."""

from __future__ import annotations

import sys
import subprocess

import numpy as np
import pytest

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml.inference import NumpyPredictor, load_default_predictor
from mnist_gui.ml.model import ModelSpec, build_model, summarize


def test_summary_without_tensorflow_has_669706_params():
    s = summarize(ModelSpec())
    assert s.total_params == 669_706
    assert [r.kind for r in s.rows] == ["Flatten", "Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert "Total params: 669,706" in s.text()


def test_summary_follows_the_spec():
    s = summarize(ModelSpec(hidden_units=(128,), dropout=0.0))
    assert s.total_params == 784 * 128 + 128 + 128 * 10 + 10
    assert [r.kind for r in s.rows] == ["Flatten", "Dense", "Dense"]


@pytest.mark.parametrize("spec, msg", [
    (ModelSpec(hidden_units=()), "at least one hidden layer"),
    (ModelSpec(hidden_units=(0,)), "hidden units"),
    (ModelSpec(hidden_units=(-5, 10)), "hidden units"),
    (ModelSpec(dropout=1.0), "dropout"),
    (ModelSpec(optimizer="adagrad"), "optimizer"),
    (ModelSpec(learning_rate=0.0), "learning rate"),
])
def test_bad_spec_is_rejected(spec, msg):
    with pytest.raises(ConfigError, match=msg):
        spec.validate()


def test_keras_model_matches_summary_and_numpy_predictor(mnist):
    model = build_model(ModelSpec(), seed=1)
    assert model.count_params() == 669_706
    pred = NumpyPredictor.from_keras(model)
    x = mnist.x_test[:64].astype(np.float32) / 255
    keras_out = model.predict(x, verbose=0)
    assert np.abs(pred.predict(x) - keras_out).max() < 1e-5


def test_default_predictor_loads_without_tensorflow_and_reads_digits():
    code = (
        "import sys, numpy as np\n"
        "from mnist_gui.ml.inference import load_default_predictor\n"
        "from mnist_gui.ml.data import load_mnist\n"
        "p = load_default_predictor(); d = load_mnist()\n"
        "acc = (p.predict(d.x_test[:2000] / 255.0).argmax(1) == d.y_test[:2000]).mean()\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
        "print(acc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) > 0.97


def test_predictor_shapes_and_probabilities():
    p = load_default_predictor()
    out = p.predict(np.zeros((3, 28, 28), np.float32))
    assert out.shape == (3, 10)
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)
    assert p.predict(np.zeros((28, 28), np.float32)).shape == (1, 10)


def test_predictor_refuses_wrong_output_size():
    with pytest.raises(ModelError, match="outputs 5 classes"):
        NumpyPredictor([np.zeros((784, 5), np.float32)], [np.zeros(5, np.float32)])
    with pytest.raises(ModelError, match="layer 0"):
        NumpyPredictor([np.zeros((100, 10), np.float32)], [np.zeros(10, np.float32)])
