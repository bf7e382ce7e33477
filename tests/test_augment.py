"""On-the-fly augmentation: vectorised, deterministic per seed, keeps images valid, trains."""

from __future__ import annotations

import numpy as np

from mnist_gui.ml.training import TrainingConfig, run_training


def test_augment_batch_changes_images_but_keeps_them_valid(mnist):
    import tensorflow as tf

    from mnist_gui.ml.augment import augment_batch

    x = tf.constant(mnist.x_train[:64].astype(np.float32) / 255)
    a = augment_batch(x, tf.constant([1, 2], tf.int64)).numpy()
    b = augment_batch(x, tf.constant([1, 2], tf.int64)).numpy()
    c = augment_batch(x, tf.constant([1, 3], tf.int64)).numpy()
    assert a.shape == (64, 28, 28) and a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, b), "same seed, same batch"
    assert not np.allclose(a, c), "another seed, other distortions"
    assert np.abs(a - x.numpy()).mean() > 0.02, "images were distorted"
    # still digits: ink mass within a sane band of the original
    ratio = a.sum(axis=(1, 2)) / x.numpy().sum(axis=(1, 2))
    assert 0.4 < np.median(ratio) < 2.0


def test_training_with_augmentation_learns(small_mnist, tmp_path):
    cfg = TrainingConfig.preset_config("default").with_(epochs=2, augment=True)
    result = run_training(cfg, small_mnist, tmp_path)
    assert result.test_accuracy > 0.6 and len(result.history["val_loss"]) == 2
    assert result.model_path.is_file()


def test_augmentation_layer_distorts_only_while_training(mnist):
    import tensorflow as tf

    from mnist_gui.ml.augment import augmentation_layer

    layer = augmentation_layer(seed=3)
    x = tf.constant(mnist.x_train[:32].astype(np.float32) / 255)
    assert np.array_equal(layer(x, training=False).numpy(), x.numpy()), "inference sees the image unchanged"
    a = layer(x, training=True).numpy()
    b = layer(x, training=True).numpy()
    assert a.shape == x.shape and 0 <= a.min() and a.max() <= 1
    assert np.abs(a - x.numpy()).mean() > 0.02 and not np.allclose(a, b), "a new distortion every batch"


def test_augmented_checkpoint_is_the_bare_model_with_its_trained_optimizer(small_mnist, tmp_path):
    import keras

    cfg = TrainingConfig.preset_config("default").with_(epochs=1, augment=True)
    result = run_training(cfg, small_mnist, tmp_path)
    loaded = keras.models.load_model(result.model_path, safe_mode=True)
    assert [layer.name for layer in loaded.layers][0] != "augment"
    assert len(loaded.layers) == 6 and loaded.count_params() == 669_706
    assert int(loaded.optimizer.iterations.numpy()) > 0, "optimizer state saved with the model"
