"""Bad model files: refused with a message saying why; nothing untrusted runs."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from mnist_gui.errors import ModelError
from mnist_gui.ml.inference import NumpyPredictor, weights_path_for
from mnist_gui.ml.model import ModelSpec, build_model
from mnist_gui.ml.model_io import load_keras_model, load_predictor_checked, save_model


@pytest.fixture(scope="module")
def good_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "m.keras"
    model = build_model(ModelSpec(hidden_units=(32,)), seed=0)
    save_model(model, path)
    return path


def test_zero_byte_keras(tmp_path):
    p = tmp_path / "empty.keras"
    p.write_bytes(b"")
    with pytest.raises(ModelError, match="empty"):
        load_keras_model(p)


def test_truncated_keras(tmp_path, good_model):
    p = tmp_path / "trunc.keras"
    p.write_bytes(good_model.read_bytes()[:3000])
    with pytest.raises(ModelError, match="not a Keras model|cannot be loaded"):
        load_keras_model(p)


def test_non_keras_zip(tmp_path):
    p = tmp_path / "other.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ModelError, match="no config.json"):
        load_keras_model(p)


def test_damaged_config_json_says_where_and_what_to_do(tmp_path, good_model):
    p = tmp_path / "bad.keras"
    with zipfile.ZipFile(good_model) as src, zipfile.ZipFile(p, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, b"{'not json'" if item.filename == "config.json" else src.read(item))
    with pytest.raises(ModelError, match=r"config\.json is damaged \(not valid JSON at line 1, column 2\)\. Save or export") as err:
        load_keras_model(p)
    assert "Expecting" not in str(err.value)  # the parser's own words are not the user's


def test_wrong_extension(tmp_path, good_model):
    p = tmp_path / "model.h5"
    p.write_bytes(good_model.read_bytes())
    with pytest.raises(ModelError, match="not a .keras"):
        load_keras_model(p)


def test_lambda_layer_is_refused_and_never_runs(tmp_path):
    import keras

    marker = tmp_path / "ran.txt"
    # The Lambda's code writes the marker whenever it runs; the path is one of its saved ``arguments``.
    writes_marker = keras.layers.Lambda(lambda x, path: (open(path, "w").write("ran"), x * 2.0)[1], arguments={"path": str(marker)})
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), writes_marker, keras.layers.Dense(10, activation="softmax")])
    assert marker.exists(), "building the model ran the Lambda: the marker works"
    p = tmp_path / "lambda.keras"
    model.save(p)
    marker.unlink()
    with pytest.raises(ModelError, match="Lambda layer or other code") as err:
        load_keras_model(p)
    assert "safe mode" in str(err.value)
    assert not marker.exists(), "the refused model's code ran"
    # Control: the same file loaded unsafely does run its code, so the check above can fail.
    keras.models.load_model(p, safe_mode=False)(np.zeros((1, 28, 28), np.float32))
    assert marker.read_text() == "ran"


def test_custom_layer_is_refused(tmp_path):
    import keras

    class Doubler(keras.layers.Layer):  # not registered: the loader cannot know it
        def call(self, x):
            return x * 2

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), Doubler(), keras.layers.Dense(10, activation="softmax")])
    p = tmp_path / "custom.keras"
    model.save(p)
    with pytest.raises(ModelError, match="custom objects|cannot be loaded"):
        load_keras_model(p)


@pytest.mark.parametrize("input_shape, outputs, message", [
    ((28, 28), 5, "outputs \\(5,\\)"),  # wrong output size
    ((32, 32), 10, "expects input \\(32, 32\\)"),  # wrong input shape
])
def test_wrong_input_or_output_shape_is_refused(tmp_path, input_shape, outputs, message):
    import keras

    model = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(outputs, activation="softmax")])
    p = tmp_path / "shape.keras"
    model.save(p)
    with pytest.raises(ModelError, match=message):
        load_keras_model(p)


def test_a_small_convolutional_model_runs_in_numpy_like_keras(tmp_path):
    """Since the CNN landed, any stack of the layers the numpy CNN knows is a model the app can run."""
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    p = tmp_path / "conv.keras"
    model.save(p)
    _, predictor = load_keras_model(p)
    x = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(predictor.predict(x), model.predict(x[..., None], verbose=0), atol=1e-5)


@pytest.mark.parametrize(("layer", "message"), [
    ("average_pooling", "not part of an MNIST CNN"),
    ("strided_conv", "only channels-last, 'valid', stride-1 convolutions"),
])
def test_layers_the_numpy_predictors_cannot_run_are_refused(tmp_path, layer, message):
    import keras

    extra = (keras.layers.AveragePooling2D(2) if layer == "average_pooling"
             else keras.layers.Conv2D(2, 3, strides=2))
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), extra, keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    p = tmp_path / f"{layer}.keras"
    model.save(p)
    with pytest.raises(ModelError, match=message):
        load_keras_model(p)


def test_sidecar_that_disagrees_is_detected_and_rewritten(tmp_path, good_model):
    p = tmp_path / "m.keras"
    p.write_bytes(good_model.read_bytes())
    other = build_model(ModelSpec(hidden_units=(16,)), seed=1)
    other_path = tmp_path / "other.keras"
    save_model(other, other_path)
    weights_path_for(p).write_bytes(weights_path_for(other_path).read_bytes())
    with pytest.raises(ModelError, match="does not belong to"):
        load_predictor_checked(p)
    model, predictor = load_keras_model(p)  # the .keras is the truth: the sidecar is rewritten
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    assert np.abs(predictor.predict(x) - model.predict(x, verbose=0)).max() < 1e-5
    assert np.allclose(load_predictor_checked(p).predict(x), predictor.predict(x))


def test_weights_file_with_nan_is_refused(tmp_path):
    k = np.full((784, 10), np.nan, np.float32)
    pred_path = tmp_path / "nan.weights.npz"
    np.savez(pred_path, kernel_0=k, bias_0=np.zeros(10, np.float32))
    with pytest.raises(ModelError, match="NaN"):
        NumpyPredictor.load(pred_path)


def test_pickled_weights_file_is_refused(tmp_path):
    obj = np.empty(1, dtype=object)
    obj[0] = {"a": 1}
    pred_path = tmp_path / "pickled.weights.npz"
    np.savez(pred_path, kernel_0=obj, bias_0=np.zeros(10, np.float32))
    with pytest.raises(ModelError, match="not a valid weights file"):
        NumpyPredictor.load(pred_path)


def test_gui_refuses_bad_model_and_keeps_running(qtbot, started_window, tmp_path):
    w = started_window
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"garbage")
    w.load_model(str(bad))
    qtbot.waitUntil(lambda: "not a Keras model" in w.last_error, timeout=60000)
    assert w.state.model.kind == "default"
    w.close()


def test_save_errors_name_the_file_that_failed(tmp_path):
    model = build_model(ModelSpec(hidden_units=(8,)), seed=0)
    blocked = tmp_path / "m.keras"
    weights_path_for(blocked).mkdir()  # the sidecar's name is taken by a folder
    with pytest.raises(ModelError, match=f"cannot save {weights_path_for(blocked)}"):
        save_model(model, blocked)
    (tmp_path / "file").write_text("x")
    under_a_file = tmp_path / "file" / "m.keras"
    with pytest.raises(ModelError, match=f"cannot save {under_a_file}"):
        save_model(model, under_a_file)


def test_a_keras_file_alone_gets_cached_weights_not_a_file_beside_it(tmp_path, good_model):
    from mnist_gui.ml.model_io import load_predictor_for
    from mnist_gui.paths import user_data_dir

    p = tmp_path / "alone.keras"
    p.write_bytes(good_model.read_bytes())
    with pytest.raises(ModelError, match="no numpy weights"):
        load_predictor_checked(p)  # TensorFlow-free: nothing to read yet
    predictor = load_predictor_for(p)  # derived through Keras
    assert not weights_path_for(p).exists(), "nothing written beside the user's model"
    assert len(list((user_data_dir() / "cache" / "weights").glob("*.weights.npz"))) == 1
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    assert np.allclose(load_predictor_checked(p).predict(x), predictor.predict(x))  # now from the cache


def test_keras_error_text_keeps_every_cause_and_drops_config_dumps():
    from mnist_gui.ml.model_io import keras_error_text

    text = ("<class 'keras.src.models.sequential.Sequential'> could not be deserialized properly. Please ensure that "
            "components that are Python object instances (layers, models, etc.) returned by `get_config()` are explicitly "
            "deserialized in the model's `from_config()` method.\n\nconfig={'module': 'keras', 'layers': [{'a': 1}]}.\n\n"
            "Exception encountered: Error when deserializing class 'Dense' using config={'units': 'abc'}.\n\n"
            "Exception encountered: Received an invalid value for `units`, expected a positive integer. Received: units=abc")
    assert keras_error_text(text) == ("Sequential could not be deserialized properly: Error when deserializing class 'Dense': "
                                      "Received an invalid value for `units`, expected a positive integer. Received: units=abc")
    long = keras_error_text("first cause\n\nException encountered: " + "x" * 5000 + " the real reason", limit=200)
    assert long.startswith("first cause") and long.endswith("the real reason") and len(long) < 250
