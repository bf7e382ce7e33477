"""Export to .keras, SavedModel and TFLite: each loaded back and compared, written atomically, bad targets refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mnist_gui.errors import ConfigError, ModelError
from mnist_gui.ml import export as export_mod
from mnist_gui.ml.export import FORMATS, default_export_path, export_model
from mnist_gui.ml.model_io import model_files
from mnist_gui.paths import default_model_path


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A copy of the shipped MLP, so exports land beside it in a temp folder."""
    d = tmp_path_factory.mktemp("model")
    for f in model_files(default_model_path()):
        shutil.copy(f, d / f.name)
    return d / "default_model.keras"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_within_1e5_on_1000_test_digits(model, tmp_path, fmt):
    out = tmp_path / {"keras": "m.keras", "saved_model": "m_saved_model", "tflite": "m.tflite"}[fmt]
    r = export_model(model, fmt, out)
    assert r.path == out and r.format == fmt and r.n_checked == 1000 and 0.0 <= r.max_abs_diff <= 1e-5
    assert (out / "saved_model.pb").is_file() if fmt == "saved_model" else out.is_file()
    assert leftovers(tmp_path) == [], "no temp file or folder left"


def test_default_paths_are_beside_the_model_and_never_taken(model):
    assert default_export_path(model, "tflite") == model.with_suffix(".tflite")
    assert default_export_path(model, "saved_model") == model.with_name("default_model_saved_model")
    assert default_export_path(model, "keras") == model.with_name("default_model-export.keras")
    model.with_suffix(".tflite").write_bytes(b"earlier")
    try:
        assert default_export_path(model, "tflite") == model.with_name("default_model-2.tflite")
    finally:
        model.with_suffix(".tflite").unlink()


def test_an_inexact_export_is_not_written_and_the_earlier_file_survives(model, tmp_path, monkeypatch):
    out = tmp_path / "m.tflite"
    out.write_bytes(b"an earlier export")
    with pytest.raises(ModelError, match="answers differently"):
        export_model(model, "tflite", out, tolerance=-1.0, x_check=np.zeros((4, 28, 28), np.float32))
    assert out.read_bytes() == b"an earlier export" and leftovers(tmp_path) == []
    sm = tmp_path / "sm"
    export_model(model, "saved_model", sm, x_check=np.zeros((4, 28, 28), np.float32))
    stamp = (sm / "saved_model.pb").stat().st_mtime_ns
    with pytest.raises(ModelError, match="answers differently"):
        export_model(model, "saved_model", sm, tolerance=-1.0, x_check=np.zeros((4, 28, 28), np.float32))
    assert (sm / "saved_model.pb").stat().st_mtime_ns == stamp and leftovers(tmp_path) == []


def test_a_failing_write_leaves_nothing_under_the_name(model, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_mod, "_run_tflite", boom)
    with pytest.raises(ModelError, match="No space left"):
        export_model(model, "tflite", tmp_path / "m.tflite", x_check=np.zeros((2, 28, 28), np.float32))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt, name, msg", [
    ("onnx", "m.onnx", "ONNX export is not available"),
    ("pdf", "m.pdf", "unknown export format"),
    ("keras", "m.h5", "must end in .keras"),
    ("saved_model", "file.txt", "a file; a SavedModel is a folder"),
    ("tflite", "folder", "a folder, not a file"),
])
def test_bad_formats_and_targets_are_refused_before_any_work(model, tmp_path, fmt, name, msg):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    with pytest.raises((ConfigError, ModelError), match=msg):
        export_model(model, fmt, tmp_path / name)


def test_export_never_replaces_its_own_model(model):
    with pytest.raises(ModelError, match="replace the model it is made from"):
        export_model(model, "keras", model)


def test_an_exported_folder_has_ordinary_permissions(model, tmp_path):
    import os

    out = tmp_path / "sm"
    export_model(model, "saved_model", out, x_check=np.zeros((2, 28, 28), np.float32))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask


# --- review: a 784-vector model, a full disk during a SavedModel export -------------------------------------

def test_a_model_with_a_784_vector_input_is_exported(tmp_path):
    import keras

    from mnist_gui.ml.model_io import save_model

    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10, activation="softmax")])
    save_model(model, tmp_path / "vector.keras")
    out = tmp_path / "out" / "v.keras"
    r = export_model(tmp_path / "vector.keras", "keras", out, x_check=np.random.default_rng(0).random((8, 28, 28), np.float32))
    assert r.path == out and out.is_file() and r.max_abs_diff <= 1e-5  # was: ValueError (expected (None, 784))


def test_a_full_disk_during_a_saved_model_export_is_a_model_error_and_leaves_nothing(model, tmp_path, monkeypatch):
    import keras
    import tensorflow as tf

    def full_disk(self, path, *args, **kwargs):
        Path(path, "variables").mkdir(parents=True)
        Path(path, "variables", "variables.data-00000-of-00001").write_bytes(b"partial")
        raise tf.errors.ResourceExhaustedError(None, None, f"{path}/variables/variables.data-00000-of-00001; No space left on device")

    monkeypatch.setattr(keras.Model, "export", full_disk)
    out = tmp_path / "new" / "sm"
    with pytest.raises(ModelError, match=r"cannot write .*sm: no space left on the device"):
        export_model(model, "saved_model", out, x_check=np.zeros((2, 28, 28), np.float32))  # was: the TF traceback
    assert list(tmp_path.iterdir()) == [], "no partial export and no new (empty) folder left behind"
