"""Qt-free machine-learning core: data, preprocessing, model, training, inference.

Nothing under this package imports Qt; TensorFlow is imported lazily, inside the functions that need it.
"""

import os


def set_tensorflow_environment() -> None:
    """Environment for TensorFlow/Keras, set before their first import (values already set win).

    Quiet C++ logging, the TensorFlow backend, and Keras' own files (it writes ``keras.json`` on import)
    in the app's data folder rather than ``~/.keras``.
    """
    from mnist_gui.paths import user_data_dir

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("KERAS_HOME", str(user_data_dir() / "keras"))
