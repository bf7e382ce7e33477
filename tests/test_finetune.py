"""Fine-tuning on own digits (Qt-free): batch mix, validation, measured before/after, nothing kept on failure."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml.finetune import FinetuneConfig, mixed_epoch, run_finetune
from mnist_gui.ml.inference import NumpyPredictor
from mnist_gui.ml.progress import StopReason
from mnist_gui.ml.model_io import load_keras_model, read_metadata
from mnist_gui.paths import default_model_path


def test_every_batch_has_the_set_share_of_own_digits(mnist):
    mine_x = np.full((7, 28, 28), 255, np.uint8)  # all-white: easy to spot
    mine_y = np.arange(7, dtype=np.uint8)
    cfg = FinetuneConfig(batch_size=32, mine_fraction=0.25, mnist_per_epoch=240)
    seen = []
    x, y = mixed_epoch(mnist.x_train, mnist.y_train, mine_x, mine_y, cfg, np.random.default_rng(0),
                       distort=lambda a: seen.append(a.shape) or a * 0.5)
    assert x.dtype == np.float32 and x.shape == (len(y), 28, 28) and len(y) % 32 == 0
    own = np.isclose(x.reshape(len(x), -1), 0.5).all(axis=1)
    assert (own.reshape(-1, 32).sum(axis=1) == 8).all(), "8 of every 32 are own digits"
    assert seen == [(own.sum(), 28, 28)], "only own digits are distorted"
    assert x[~own].max() <= 1.0 and set(y[own]) <= set(range(7))


@pytest.mark.parametrize("cfg, n, message", [
    (FinetuneConfig(), 9, "at least 10"),
    (FinetuneConfig(epochs=0), 20, "epochs"),
    (FinetuneConfig(mine_fraction=1.0), 20, "share"),
    (FinetuneConfig(learning_rate=float("nan")), 20, "learning rate"),
    (FinetuneConfig(batch_size=1), 20, "batch size"),
    (FinetuneConfig(seed=-1), 20, "seed"),
    (FinetuneConfig(seed=2**32), 20, "seed"),
])
def test_bad_settings_are_refused_before_any_work(cfg, n, message):
    with pytest.raises(ConfigError, match=message):
        cfg.validate(n)


def test_finetune_measures_and_saves_without_touching_the_base(small_mnist, mnist, tmp_path):
    base_before = default_model_path().read_bytes()
    tune_x, tune_y = mnist.x_test[500:540], mnist.y_test[500:540]
    held_x, held_y = mnist.x_test[540:600], mnist.y_test[540:600]
    cfg = FinetuneConfig(epochs=1, mnist_per_epoch=1000)
    out = tmp_path / "tuned.keras"
    r = run_finetune(default_model_path(), small_mnist, tune_x, tune_y, held_x, held_y, out, cfg)
    assert r.n_tune == 40 and r.n_held == 60 and len(r.history["loss"]) == 1 and not r.stopped
    assert 0.9 < r.mnist_before <= 1 and 0.9 < r.mnist_after <= 1 and r.mine_before is not None
    _, predictor = load_keras_model(out)
    acc = (predictor.predict(small_mnist.x_test.astype(np.float32) / 255).argmax(1) == small_mnist.y_test).mean()
    assert acc == pytest.approx(r.mnist_after, abs=1e-6), "the saved model is the one measured"
    assert r.stop is StopReason.COMPLETED and isinstance(r.predictor, NumpyPredictor)
    assert np.array_equal(r.predictor.predict(small_mnist.x_test[:50] / 255.0), predictor.predict(small_mnist.x_test[:50] / 255.0))
    meta = read_metadata(out)["finetune"]
    assert meta["n_tune"] == 40 and meta["mnist_after"] == r.mnist_after
    assert default_model_path().read_bytes() == base_before


def test_stopped_before_an_epoch_keeps_nothing(small_mnist, mnist, tmp_path):
    stop = threading.Event()
    stop.set()
    out = tmp_path / "tuned.keras"
    with pytest.raises(ModelError, match="stopped"):
        run_finetune(default_model_path(), small_mnist, mnist.x_test[:20], mnist.y_test[:20], mnist.x_test[:0], mnist.y_test[:0],
                     out, FinetuneConfig(epochs=1, mnist_per_epoch=500), stop_event=stop)
    assert not out.exists()


def test_bad_base_model_is_a_clear_error(small_mnist, mnist, tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ModelError):
        run_finetune(bad, small_mnist, mnist.x_test[:20], mnist.y_test[:20], mnist.x_test[:0], mnist.y_test[:0],
                     tmp_path / "out.keras", FinetuneConfig(epochs=1, mnist_per_epoch=500))


def test_stop_mid_epoch_ends_within_a_few_batches_and_says_so(small_mnist, mnist, tmp_path):
    from mnist_gui.ml.training import TrainingReporter

    stop = threading.Event()
    steps = []

    class StopAfterFirstBatch(TrainingReporter):
        def batch(self, epoch, step, steps_total, logs):
            steps.append((epoch, step, steps_total))
            stop.set()

    r = run_finetune(default_model_path(), small_mnist, mnist.x_test[:20], mnist.y_test[:20], mnist.x_test[20:30],
                     mnist.y_test[20:30], tmp_path / "t.keras", FinetuneConfig(epochs=3, mnist_per_epoch=1800),
                     StopAfterFirstBatch(), stop)
    assert r.stopped and len(r.history["loss"]) == 1 and r.model_path.is_file()
    assert r.stop is StopReason.STOPPED_BY_USER
    assert steps[-1][0] == 0 and steps[-1][1] <= 8 < steps[-1][2], "stopped within one compiled chunk of the first epoch"


def test_unwritable_output_is_found_before_any_work(small_mnist, mnist, tmp_path):
    from mnist_gui.ml.training import TrainingReporter

    lines = []

    class Lines(TrainingReporter):
        def message(self, text):
            lines.append(text)

    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelError, match="cannot write to the output folder"):
        run_finetune(default_model_path(), small_mnist, mnist.x_test[:20], mnist.y_test[:20], mnist.x_test[:0], mnist.y_test[:0],
                     tmp_path / "file" / "t.keras", FinetuneConfig(epochs=1, mnist_per_epoch=500), Lines())
    assert lines == [], "nothing was measured or trained"


def test_stopped_before_an_epoch_leaves_no_new_folder(small_mnist, mnist, tmp_path):
    stop = threading.Event()
    stop.set()
    with pytest.raises(ModelError, match="stopped"):
        run_finetune(default_model_path(), small_mnist, mnist.x_test[:20], mnist.y_test[:20], mnist.x_test[:0], mnist.y_test[:0],
                     tmp_path / "new" / "t.keras", FinetuneConfig(epochs=1, mnist_per_epoch=500), stop_event=stop)
    assert not (tmp_path / "new").exists()


# --- review: a 784-vector model, too few MNIST images, a learning rate that rounds to 0 ----------------------

def _vector_input_model(path):
    """A small MLP whose input is a 784-vector (the loader accepts it) saved as the app saves models."""
    import keras

    from mnist_gui.ml.model_io import save_model

    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)  # saved with its optimizer state, as a trained model is
    save_model(model, path)
    return path


def test_a_model_with_a_784_vector_input_is_fine_tuned(small_mnist, mnist, tmp_path):
    base = _vector_input_model(tmp_path / "vector.keras")
    data = small_mnist.limited(300)
    r = run_finetune(base, data, mnist.x_test[:20], mnist.y_test[:20], mnist.x_test[20:30], mnist.y_test[20:30],
                     tmp_path / "tuned.keras", FinetuneConfig(epochs=1, batch_size=32, mnist_per_epoch=64))  # was: ValueError
    model, predictor = load_keras_model(r.model_path)
    assert model.input_shape[1:] == (784,) and len(r.history["loss"]) == 1 and r.mine_after is not None
    acc = (predictor.predict(data.x_test / np.float32(255)).argmax(1) == data.y_test).mean()
    assert acc == pytest.approx(r.mnist_after, abs=1e-6)


def test_too_few_mnist_images_is_a_config_error_before_the_model_loads(small_mnist, mnist, tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 not a model: loading it would be a ModelError")
    with pytest.raises(ConfigError, match=r"at least 112 MNIST training images \(there are 100\)"):
        run_finetune(bad, small_mnist.limited(100), mnist.x_test[:20], mnist.y_test[:20], mnist.x_test[:0], mnist.y_test[:0],
                     tmp_path / "new" / "t.keras", FinetuneConfig(epochs=1))  # was: "Cannot take a larger sample than population"
    assert not (tmp_path / "new").exists()
    FinetuneConfig(batch_size=32, mnist_per_epoch=32).validate(20, n_mnist=28)  # one batch's worth is enough
    with pytest.raises(ConfigError, match="at least 28 MNIST"):
        FinetuneConfig(batch_size=32, mnist_per_epoch=32).validate(20, n_mnist=27)


@pytest.mark.parametrize("lr", [1e-320, 5e-46, 1e-11])
def test_a_learning_rate_that_rounds_to_zero_is_refused(lr):
    with pytest.raises(ConfigError, match="learning rate"):
        FinetuneConfig(learning_rate=lr).validate(20)
    FinetuneConfig(learning_rate=1e-9).validate(20)
