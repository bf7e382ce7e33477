"""The CNN: architecture table without TensorFlow, numpy forward pass against Keras, weights files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml.cnn import CNN_TRAINING, CnnSpec, NumpyCnnPredictor, build_cnn, layer_shapes, summarize_cnn, weights_arch
from mnist_gui.ml.inference import NumpyPredictor

TINY = CnnSpec(conv1_filters=6, conv2_filters=12, dense_units=24)


def _randomize_batch_norm(model, seed: int = 0) -> None:
    """Non-trivial moving statistics, so folding BatchNorm into the convolution is really tested."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            n = layer.moving_mean.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.1, n), rng.normal(0, 0.1, n), rng.uniform(0.5, 2.0, n)])


def _inputs(mnist) -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.concatenate([rng.uniform(0, 1, (16, 28, 28)), mnist.x_test[:48] / 255.0]).astype(np.float32)


@pytest.mark.parametrize("spec", [CnnSpec(), CnnSpec(batch_norm=True), CnnSpec(dropout=0.0, conv1_kernel=3)])
def test_layer_table_matches_keras(spec):
    model = build_cnn(seed=1, spec=spec)
    rows = layer_shapes(spec)
    assert [r[0] for r in rows] == [layer.name for layer in model.layers[1:]]
    assert [r[2] for r in rows] == [tuple(layer.output.shape[1:]) for layer in model.layers[1:]]
    assert sum(r[3] for r in rows) == model.count_params() == summarize_cnn(spec).total_params
    assert "conv1 (Conv2D)" in summarize_cnn(spec).text()
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 10)


@pytest.mark.parametrize("spec", [CnnSpec(), CnnSpec(batch_norm=True)])
def test_numpy_equals_keras_untrained(mnist, spec):
    model = build_cnn(seed=2, spec=spec)
    _randomize_batch_norm(model)
    x = _inputs(mnist)
    out = NumpyCnnPredictor.from_keras(model).predict(x)
    assert out.shape == (64, 10) and out.dtype == np.float32
    assert np.abs(out - model.predict(x, verbose=0)).max() < 1e-5


def test_numpy_equals_keras_after_brief_training(small_mnist):
    import keras

    model = build_cnn(seed=4, spec=CnnSpec(conv1_filters=8, conv2_filters=16, dense_units=32, batch_norm=True))
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(CNN_TRAINING.learning_rate))
    model.fit(small_mnist.x_train / 255.0, small_mnist.y_train, batch_size=64, epochs=1, verbose=0)
    x = small_mnist.x_test[:200].astype(np.float32) / 255
    keras_out = model.predict(x, verbose=0)
    assert (keras_out.argmax(1) == small_mnist.y_test[:200]).mean() > 0.5  # it learned something
    pred = NumpyCnnPredictor.from_keras(model)
    assert np.abs(pred.predict(x) - keras_out).max() < 1e-5
    assert np.abs(pred.predict(x[7]) - keras_out[7:8]).max() < 1e-5  # a single (28, 28) image


def test_save_load_round_trip(tmp_path: Path, mnist):
    model = build_cnn(seed=5, spec=CnnSpec(batch_norm=True))
    _randomize_batch_norm(model, seed=1)
    pred = NumpyCnnPredictor.from_keras(model, name="m")
    path = tmp_path / "m.weights.npz"
    pred.save(path, keras_sha256="abc")
    back = NumpyCnnPredictor.load(path)
    assert back.meta == {"keras_sha256": "abc"} and back.name == path.name
    x = _inputs(mnist)
    assert np.array_equal(back.predict(x), pred.predict(x))
    assert back.layers() == pred.layers()
    assert weights_arch(path) == "cnn"
    assert [k.shape for k in back.kernels] == [(5, 5, 1, 32), (3, 3, 32, 64), (1600, 128), (128, 10)]
    assert all(np.array_equal(a, b) for a, b in zip(back.biases, pred.biases))
    mlp = tmp_path / "mlp.weights.npz"
    NumpyPredictor([np.zeros((784, 10), np.float32)], [np.zeros(10, np.float32)]).save(mlp)
    assert weights_arch(mlp) == "mlp"
    with pytest.raises(ModelError, match="not the weights of a CNN"):
        NumpyCnnPredictor.load(mlp)


def test_feature_maps_shapes_and_output(mnist):
    model = build_cnn(seed=6)
    pred = NumpyCnnPredictor.from_keras(model)
    x = mnist.x_test[:3] / 255.0
    maps = pred.feature_maps(x)
    assert {k: v.shape for k, v in maps.items()} == {"conv1": (3, 24, 24, 32), "pool1": (3, 12, 12, 32), "conv2": (3, 10, 10, 64),
                                                     "pool2": (3, 5, 5, 64), "dense": (3, 128), "output": (3, 10)}
    assert np.allclose(maps["output"], pred.predict(x))
    assert maps["conv1"].min() >= 0  # after ReLU
    logits = pred.feature_maps(x, logits=True)["output"]
    assert np.allclose(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), maps["output"], atol=1e-6)
    assert [r[:3] for r in pred.layers()][-1] == ("output", "output", (10,))


def _saved_arrays(tmp_path: Path) -> dict[str, np.ndarray]:
    path = tmp_path / "ok.weights.npz"
    NumpyCnnPredictor.from_keras(build_cnn(seed=7, spec=TINY)).save(path)
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("change, msg", [
    (lambda a: a.update(conv2_kernel=np.zeros((3, 3, 5, 12), np.float32)), "do not fit"),
    (lambda a: a.update(conv1_bias=np.zeros(7, np.float32)), "do not fit"),
    (lambda a: a.update(dense_kernel=np.zeros((99, 24), np.float32)), "do not fit"),
    (lambda a: a.update(output_kernel=np.zeros((24, 9), np.float32), output_bias=np.zeros(9, np.float32)), "10 classes"),
    (lambda a: a.update(conv1_kernel=np.full((5, 5, 1, 6), np.nan, np.float32)), "NaN"),
    (lambda a: a.pop("dense_bias"), "not a valid CNN weights file"),
    (lambda a: a.update(layers=np.array(str(a["layers"]).replace('"pool1"', '"conv1"'))), "unique"),
    (lambda a: a.update(layers=np.array("[{]")), "not a valid CNN weights file"),
])
def test_bad_weights_raise_model_error(tmp_path: Path, change, msg):
    arrays = _saved_arrays(tmp_path)
    change(arrays)
    bad = tmp_path / "bad.weights.npz"
    with open(bad, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ModelError, match=msg):
        NumpyCnnPredictor.load(bad)


@pytest.mark.parametrize("shape", [(28, 27), (2, 28, 28, 3), (5, 100), (784,)])
def test_bad_input_shape_raises_model_error(shape):
    pred = NumpyCnnPredictor.from_keras(build_cnn(seed=8, spec=TINY))
    with pytest.raises(ModelError, match="28×28"):
        pred.predict(np.zeros(shape, np.float32))
    assert pred.predict(np.zeros((2, 784), np.float32)).shape == (2, 10)


def test_load_refuses_pickled_npz(tmp_path: Path):
    arrays = _saved_arrays(tmp_path)
    arrays["layers"] = np.array([{"kind": "conv"}], dtype=object)
    bad = tmp_path / "pickled.weights.npz"
    with open(bad, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ModelError, match="not a valid CNN weights file"):
        NumpyCnnPredictor.load(bad)
    with pytest.raises(ModelError, match="no such"):
        NumpyCnnPredictor.load(tmp_path / "missing.weights.npz")
    (tmp_path / "junk.weights.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError):
        NumpyCnnPredictor.load(tmp_path / "junk.weights.npz")


def test_from_keras_refuses_other_layers():
    import keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)), keras.layers.AveragePooling2D(2),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(ModelError, match="AveragePooling2D"):
        NumpyCnnPredictor.from_keras(model)


@pytest.mark.parametrize("spec, msg", [(CnnSpec(conv1_filters=0), "conv1 filters"), (CnnSpec(conv2_kernel=4), "kernels"),
                                       (CnnSpec(dropout=1.0), "dropout")])
def test_bad_spec_is_rejected(spec, msg):
    with pytest.raises(ConfigError, match=msg):
        spec.validate()
    assert CnnSpec.from_dict(CnnSpec(dense_units=64).to_dict() | {"unknown": 1}) == CnnSpec(dense_units=64)


def test_predictor_loads_and_runs_without_tensorflow(tmp_path: Path):
    path = tmp_path / "c.weights.npz"
    NumpyCnnPredictor.from_keras(build_cnn(seed=9, spec=TINY)).save(path)
    code = (
        "import sys, numpy as np\n"
        "from mnist_gui.ml.cnn import NumpyCnnPredictor\n"
        f"p = NumpyCnnPredictor.load({str(path)!r})\n"
        "out = p.predict(np.zeros((28, 28), np.float32))\n"
        "assert out.shape == (1, 10) and 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- review: a damaged sidecar is a ModelError naming the file, never a traceback ----------------------------

@pytest.mark.parametrize("change", [
    lambda a: a.update(layers=np.array(str(a["layers"]).replace('"size": 2', '"size": Infinity', 1))),  # OverflowError
    lambda a: a.update(layers=np.array("[" * 100_000 + "]" * 100_000)),  # RecursionError
    lambda a: a.update(layers=np.array("[1, 2]")),
    lambda a: a.update(layers=np.array('{"kind": "conv"}')),
    lambda a: a.update(layers=np.array(str(a["layers"]).replace('"size": 2', '"size": "x"', 1))),
    lambda a: a.update(conv1_kernel=np.full(a["conv1_kernel"].shape, "x")),  # ValueError in the float32 copy
    lambda a: a.update(dense_bias=np.zeros(a["dense_bias"].shape, bool)),
])
def test_damaged_cnn_weights_file_is_a_model_error_naming_it(tmp_path, change):
    from mnist_gui.ml.inference import load_weights

    arrays = _saved_arrays(tmp_path)
    change(arrays)
    bad = tmp_path / "damaged.weights.npz"
    with open(bad, "wb") as f:
        np.savez(f, **arrays)
    for load in (NumpyCnnPredictor.load, load_weights):
        with pytest.raises(ModelError, match="damaged.weights.npz"):
            load(bad)


def test_a_corrupt_compressed_weights_file_is_a_model_error_naming_it(tmp_path):
    from mnist_gui.ml.inference import load_weights

    for name, arrays in (("mlp", {"kernel_0": np.ones((784, 10), np.float32), "bias_0": np.zeros(10, np.float32)}),
                         ("cnn", _saved_arrays(tmp_path))):
        bad = tmp_path / f"{name}.weights.npz"
        with open(bad, "wb") as f:
            np.savez_compressed(f, **{**arrays, "kernel_0": np.random.default_rng(0).random((784, 10), np.float32)})
        data = bytearray(bad.read_bytes())
        for i in range(200, 2000, 7):  # inside the first member's deflate stream: a zlib.error when it is read
            data[i] ^= 0xFF
        bad.write_bytes(bytes(data))
        with pytest.raises(ModelError, match=f"{name}.weights.npz"):
            load_weights(bad)
