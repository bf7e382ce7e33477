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


# --- issue 15/12: architecture apart from compile settings, presets, both shipped models -----------------

def test_spec_is_architecture_only_and_the_config_holds_compile_settings():
    from mnist_gui.ml.training import TrainingConfig

    cfg = TrainingConfig.preset_config("default")
    assert (cfg.optimizer, cfg.learning_rate, cfg.lr_schedule) == ("adam", 0.001, "cosine")
    assert cfg.model == ModelSpec((512, 512), 0.2) and cfg.model.to_dict() == {"hidden_units": [512, 512], "dropout": 0.2}
    assert "optimizer" not in cfg.to_dict()["model"] and cfg.to_dict()["optimizer"] == "adam"
    changed = cfg.with_(optimizer="sgd", learning_rate=0.01)
    assert (changed.optimizer, changed.learning_rate) == ("sgd", 0.01)
    # the deprecated bridge for callers not yet migrated: settings given on a new spec win, and are mirrored
    old_style = cfg.with_(model=ModelSpec((256,), 0.1, "rmsprop", 0.005))
    assert (old_style.optimizer, old_style.learning_rate, old_style.model.hidden_units) == ("rmsprop", 0.005, (256,))
    assert (old_style.model.optimizer, old_style.model.learning_rate) == ("rmsprop", 0.005)
    assert old_style.with_(optimizer="adam").model.optimizer == "adam"


def test_old_records_still_read():
    from mnist_gui.ml.training import TrainingConfig

    old = {"model": {"hidden_units": [128], "dropout": 0.1, "optimizer": "sgd", "learning_rate": 0.05}, "epochs": 3,
           "batch_size": 64, "validation_split": 0.2, "seed": 1, "lr_schedule": "constant", "label_smoothing": 0.0,
           "steps_per_execution": 32, "augment": False, "preset": "custom"}
    cfg = TrainingConfig.from_dict(old)
    assert (cfg.arch, cfg.optimizer, cfg.learning_rate, cfg.model.hidden_units, cfg.epochs) == ("mlp", "sgd", 0.05, (128,), 3)
    for name in ("notebook", "default", "cnn"):
        preset = TrainingConfig.preset_config(name)
        assert TrainingConfig.from_dict(preset.to_dict()) == preset


@pytest.mark.parametrize("changes, msg", [({"optimizer": "adagrad"}, "optimizer"), ({"learning_rate": 0.0}, "learning rate"),
                                          ({"arch": "rnn"}, "architecture"), ({"lr_schedule": "step"}, "schedule")])
def test_bad_compile_settings_are_rejected(changes, msg):
    from mnist_gui.ml.training import TrainingConfig

    with pytest.raises(ConfigError, match=msg):
        TrainingConfig().with_(**changes).validate()


@pytest.mark.parametrize("preset", ["notebook", "default", "cnn"])
def test_each_preset_builds_what_it_says(preset):
    from mnist_gui.ml.cnn import CNN_TRAINING
    from mnist_gui.ml.model import build_network, summarize_config
    from mnist_gui.ml.training import PRESETS, TrainingConfig, compile_model

    assert PRESETS == ("notebook", "default", "cnn")
    cfg = TrainingConfig.preset_config(preset)
    model = build_network(cfg, seed=0)
    compile_model(model, cfg, steps_per_epoch=10)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert model.count_params() == summarize_config(cfg).total_params
    assert type(model.optimizer).__name__.lower() == cfg.optimizer
    if preset == "cnn":
        assert cfg.arch == "cnn" and "Conv2D" in kinds and model.count_params() == 225_546
        assert (cfg.optimizer, cfg.learning_rate, cfg.lr_schedule, cfg.label_smoothing, cfg.augment, cfg.epochs, cfg.batch_size) == \
            ("adam", 0.002, "cosine", 0.1, True, 10, 128)
        assert model.jit_compile is CNN_TRAINING.jit_compile is False
    else:
        assert cfg.arch == "mlp" and "Conv2D" not in kinds and model.count_params() == 669_706
        assert (cfg.optimizer, cfg.lr_schedule, cfg.augment) == (("rmsprop", "constant", False) if preset == "notebook" else ("adam", "cosine", True))
    assert float(model.optimizer.learning_rate) == pytest.approx(cfg.learning_rate)


def test_weights_load_as_their_architecture(tmp_path):
    from mnist_gui.ml.cnn import CnnSpec, NumpyCnnPredictor, build_cnn
    from mnist_gui.ml.inference import load_weights, predictor_from_keras

    cnn = build_cnn(seed=1, spec=CnnSpec(conv1_filters=4, conv2_filters=8, dense_units=16))
    mlp = build_model(ModelSpec((32,), 0.0), seed=1)
    p_cnn, p_mlp = predictor_from_keras(cnn, "c"), predictor_from_keras(mlp, "m")
    assert isinstance(p_cnn, NumpyCnnPredictor) and isinstance(p_mlp, NumpyPredictor)
    p_cnn.save(tmp_path / "c.weights.npz")
    p_mlp.save(tmp_path / "m.weights.npz")
    assert isinstance(load_weights(tmp_path / "c.weights.npz"), NumpyCnnPredictor)
    assert isinstance(load_weights(tmp_path / "m.weights.npz"), NumpyPredictor)


def test_both_shipped_models_load_without_tensorflow_and_read_digits():
    code = (
        "import sys, numpy as np\n"
        "from mnist_gui.ml.inference import load_pretrained_predictor, load_default_predictor\n"
        "from mnist_gui.ml.data import load_mnist\n"
        "d = load_mnist(); x = d.x_test[:2000] / 255.0\n"
        "mlp, cnn = load_pretrained_predictor('mlp'), load_pretrained_predictor('cnn')\n"
        "assert type(cnn).__name__ == 'NumpyCnnPredictor' and type(mlp).__name__ == 'NumpyPredictor'\n"
        "assert np.array_equal(mlp.predict(x), load_default_predictor().predict(x))\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
        "print((mlp.predict(x).argmax(1) == d.y_test[:2000]).mean(), (cnn.predict(x).argmax(1) == d.y_test[:2000]).mean())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    acc_mlp, acc_cnn = map(float, out.stdout.split())
    assert acc_mlp > 0.97 and acc_cnn > 0.99


def test_shipped_cnn_numpy_equals_keras(mnist):
    from mnist_gui.ml.inference import load_pretrained_predictor
    from mnist_gui.ml.model_io import load_keras_model
    from mnist_gui.paths import pretrained_model_path

    model, _ = load_keras_model(pretrained_model_path("cnn"))
    x = mnist.x_test[:1000] / np.float32(255)
    assert np.abs(load_pretrained_predictor("cnn").predict(x) - model.predict(x, verbose=0)).max() < 1e-5
    with pytest.raises(ModelError, match="no shipped model"):
        load_pretrained_predictor("rnn")


# --- review: damaged sidecars, Dense without bias, unsupported layers named ----------------------------------

def _mlp_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"kernel_0": rng.random((784, 16), np.float32), "bias_0": np.zeros(16, np.float32),
            "kernel_1": rng.random((16, 10), np.float32), "bias_1": np.zeros(10, np.float32)}


@pytest.mark.parametrize("change", [
    {"kernel_0": np.full((784, 16), "x")},  # text where numbers belong: was a ValueError traceback
    {"kernel_0": np.full((784, 16), "1.5")},  # numbers as text are not weights either
    {"bias_1": np.zeros(10, bool)},
    {"kernel_1": np.zeros((16, 10), np.complex64)},
])
def test_damaged_mlp_weights_file_is_a_model_error_naming_it(tmp_path, change):
    from mnist_gui.ml.inference import load_weights

    path = tmp_path / "damaged.weights.npz"
    with open(path, "wb") as f:
        np.savez(f, **{**_mlp_arrays(), **change})
    for load in (NumpyPredictor.load, load_weights):
        with pytest.raises(ModelError, match="damaged.weights.npz"):
            load(path)


def test_a_damaged_sidecar_is_stale_and_derived_again_from_the_keras(tmp_path):
    import shutil

    from mnist_gui.ml.inference import weights_path_for
    from mnist_gui.ml.model_io import load_predictor_for, model_files
    from mnist_gui.paths import default_model_path

    for f in model_files(default_model_path()):
        shutil.copy(f, tmp_path / f.name)
    model_path = tmp_path / default_model_path().name
    sidecar = weights_path_for(model_path)
    with np.load(sidecar) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["kernel_0"] = np.full(arrays["kernel_0"].shape, "x")
    with open(sidecar, "wb") as f:
        np.savez(f, **arrays)
    x = np.random.default_rng(1).random((3, 28, 28), dtype=np.float32)
    predictor = load_predictor_for(model_path)  # was: ValueError traceback
    assert np.abs(predictor.predict(x) - load_default_predictor().predict(x)).max() < 1e-6
    assert np.allclose(NumpyPredictor.load(sidecar).predict(x), predictor.predict(x)), "the sidecar was rewritten"


def test_a_dense_layer_without_bias_runs_with_zero_bias():
    import keras

    from mnist_gui.ml.inference import predictor_from_keras

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(16, activation="relu", use_bias=False),
                              keras.layers.Dense(10, activation="softmax", use_bias=False)])
    x = np.random.default_rng(2).random((4, 28, 28), dtype=np.float32)
    predictor = predictor_from_keras(model)  # was: "not enough values to unpack"
    assert np.abs(predictor.predict(x) - model.predict(x, verbose=0)).max() < 1e-5


def test_an_unsupported_mlp_is_a_model_error_naming_the_layer():
    import keras

    from mnist_gui.ml.inference import predictor_from_keras

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Dense(10, activation="softmax", name="no_flatten")])
    with pytest.raises(ModelError, match="no_flatten"):
        predictor_from_keras(model)
