"""Hostile files (decompression bombs, JSON nested thousands deep, npz members numpy did not write, a full disk
mid-save): each is a clear error or is ignored with a warning, never a traceback, a stuck start-up or half a model."""

from __future__ import annotations

import errno
import logging
import shutil
import sys
import types
import zipfile

import numpy as np
import pytest

from mnist_gui.errors import ModelError
from mnist_gui.ml import model_io
from mnist_gui.ml.inference import weights_path_for
from mnist_gui.ml.model_io import load_keras_model, load_predictor_checked, read_metadata, save_model, write_metadata
from mnist_gui.paths import resource_path

DEEP_JSON = "[" * 100_000 + "]" * 100_000  # json.loads: RecursionError


def _no_keras(monkeypatch):
    """Any use of Keras fails the test: a refused archive must be refused before Keras reads it."""
    fake = types.ModuleType("keras")

    def load_model(*args, **kwargs):
        raise AssertionError("Keras was asked to load the archive")

    fake.models = types.SimpleNamespace(load_model=load_model)
    monkeypatch.setitem(sys.modules, "keras", fake)


# --- .keras and .weights.npz decompression bombs ------------------------------------------------------------

def test_keras_config_bomb_is_refused_before_keras_reads_it(tmp_path, monkeypatch):
    p = tmp_path / "bomb.keras"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:  # 2 MB of spaces after the JSON: ~2 KB on disk
        z.writestr("config.json", b'{"class_name": "Sequential"}' + b" " * (model_io.MAX_KERAS_CONFIG_BYTES + 2**20))
        z.writestr("metadata.json", b"{}")
    assert p.stat().st_size < 20_000
    _no_keras(monkeypatch)
    with pytest.raises(ModelError, match=r"refused: its config.json would unpack to 2 MB \(limit 1 MB"):
        load_keras_model(p)


def test_keras_archive_over_the_total_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(model_io, "MAX_MODEL_UNPACKED_BYTES", 2**20)  # the real limit (256 MB) works the same way
    p = tmp_path / "big.keras"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", b"{}")
        z.writestr("model.weights.h5", bytes(3 * 2**20))
    _no_keras(monkeypatch)
    with pytest.raises(ModelError, match=r"refused: it would unpack to 3 MB \(limit 1 MB"):
        load_keras_model(p)


def _mlp_weights(path, **extra):
    arrays = {"kernel_0": np.zeros((784, 10), np.float32), "bias_0": np.zeros(10, np.float32), **extra}
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def test_weights_sidecar_bomb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(model_io, "MAX_MODEL_UNPACKED_BYTES", 20_000)
    p = tmp_path / "m.keras"
    p.write_bytes(b"PK\x05\x06" + bytes(18))  # never read: the sidecar is checked first
    _mlp_weights(weights_path_for(p))  # 31 KB of arrays, over the lowered limit
    with pytest.raises(ModelError, match=r"m.weights.npz: refused: it would unpack to"):
        load_predictor_checked(p)


def test_weights_sidecar_with_deeply_nested_layer_list_is_a_model_error(tmp_path):
    p = tmp_path / "m.keras"
    p.write_bytes(b"PK\x05\x06" + bytes(18))
    with open(weights_path_for(p), "wb") as f:
        np.savez(f, arch=np.array("cnn"), layers=np.array(DEEP_JSON))
    with pytest.raises(ModelError, match="not a valid (CNN )?weights file"):
        load_predictor_checked(p)


def _corrupt_deflate_stream(path, member):
    """Make ``member``'s first deflate block a reserved block type: unpacking it raises zlib.error."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(member).header_offset
    name_len, extra_len = (int.from_bytes(data[offset + i : offset + i + 2], "little") for i in (26, 28))
    data[offset + 30 + name_len + extra_len] = 0b111  # final block, type 3 (reserved)
    path.write_bytes(bytes(data))


def test_weights_sidecar_with_a_corrupt_deflate_stream_is_a_model_error(tmp_path):
    p = tmp_path / "m.keras"
    p.write_bytes(b"PK\x05\x06" + bytes(18))
    _mlp_weights(weights_path_for(p))
    _corrupt_deflate_stream(weights_path_for(p), "kernel_0.npy")
    with pytest.raises(ModelError, match="not a valid weights file"):
        load_predictor_checked(p)


# --- the NAME.json details file ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [DEEP_JSON, '{"a": ' * 50_000 + "1" + "}" * 50_000, "{not json", "\udcff"])
def test_damaged_details_file_is_ignored_with_a_warning(tmp_path, caplog, text):
    model = tmp_path / "m.keras"
    model.with_suffix(".json").write_text(text, errors="surrogateescape")
    with caplog.at_level(logging.WARNING, logger=model_io.__name__):
        assert read_metadata(model) == {}
    assert "ignoring the unreadable model details file" in caplog.text


@pytest.mark.parametrize("acc", ['"99%"', "[0.9]", "1e999", "NaN", "true", "7", "-0.5"])
def test_a_test_accuracy_that_is_not_a_fraction_is_dropped(tmp_path, acc):
    model = tmp_path / "m.keras"
    model.with_suffix(".json").write_text(f'{{"test_accuracy": {acc}, "best_epoch": 3}}')
    assert read_metadata(model) == {"best_epoch": 3}


# --- saving: all or nothing ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_model():
    from mnist_gui.ml.model import ModelSpec, build_model

    return build_model(ModelSpec(hidden_units=(8,)), seed=0)


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _fail(monkeypatch, part):
    if part == "weights":
        monkeypatch.setattr("mnist_gui.atomic.atomic_save_npz", _no_space)  # what Predictor.save writes with
    elif part == "details":
        monkeypatch.setattr(model_io, "_write_json", _no_space)
    else:
        monkeypatch.setattr(model_io.os, "fsync", _no_space)  # a full disk noticed only when the data is flushed


@pytest.mark.parametrize("part", ["weights", "details", "fsync"])
def test_a_full_disk_mid_save_writes_none_of_the_model_files(tmp_path, monkeypatch, tiny_model, part):
    path = tmp_path / "best.keras"
    _fail(monkeypatch, part)
    with pytest.raises(ModelError, match="No space left on device; nothing was saved") as err:
        save_model(tiny_model, path, {"best_epoch": 1})
    if part != "fsync":
        assert str(weights_path_for(path) if part == "weights" else path.with_suffix(".json")) in str(err.value)
    assert list(tmp_path.iterdir()) == [], "no .keras without its sidecars, and no temp file"


@pytest.mark.parametrize("part", ["weights", "details", "fsync"])
def test_a_full_disk_mid_save_keeps_the_previous_model_files(tmp_path, monkeypatch, tiny_model, part):
    from mnist_gui.ml.model import ModelSpec, build_model

    path = tmp_path / "best.keras"
    save_model(tiny_model, path, {"best_epoch": 1})
    assert read_metadata(path)["best_epoch"] == 1 and load_predictor_checked(path) is not None
    before = {f.name: f.read_bytes() for f in tmp_path.iterdir()}
    assert sorted(before) == ["best.json", "best.keras", "best.weights.npz"]
    _fail(monkeypatch, part)
    with pytest.raises(ModelError, match="nothing was saved"):
        save_model(build_model(ModelSpec(hidden_units=(8,)), seed=1), path, {"best_epoch": 2})
    assert {f.name: f.read_bytes() for f in tmp_path.iterdir()} == before


def test_details_that_cannot_be_written_say_the_model_itself_is_saved(tmp_path, monkeypatch, tiny_model):
    path = tmp_path / "best.keras"
    save_model(tiny_model, path)
    monkeypatch.setattr(model_io, "_write_json", _no_space)
    with pytest.raises(ModelError, match=r"best.json: No space left on device \(best.keras itself is saved"):
        write_metadata(path, {"best_epoch": 1})
    assert sorted(f.name for f in tmp_path.iterdir()) == ["best.keras", "best.weights.npz"], "no temp file left"


# --- start-up: a damaged file ends in a message, never in a start-up that waits forever -----------------------

def _copy_default_model(folder):
    src = resource_path("default_model.keras")
    dst = folder / "mine.keras"
    shutil.copyfile(src, dst)
    shutil.copyfile(weights_path_for(src), weights_path_for(dst))
    return dst


def _remember_active_model(path):
    from mnist_gui.views.settings import AppSettings

    s = AppSettings()
    s.set_active_model(path, "trained")
    s.sync()


def test_start_up_ignores_a_deeply_nested_details_file_of_the_restored_model(qtbot, tmp_path):
    from tests.gui_helpers import open_window

    path = _copy_default_model(tmp_path)
    path.with_suffix(".json").write_text(DEEP_JSON)
    _remember_active_model(path)
    w = open_window(qtbot, timeout_ms=60_000)
    assert w.state.model.kind == "trained" and w.state.model.path == path and w.state.model.test_accuracy is None
    assert w.last_error == ""


def test_start_up_with_a_raw_npz_member_in_my_digits_moves_the_file_aside(qtbot, tmp_path):
    from mnist_gui.ml.my_digits import MyDigits, default_path
    from tests.gui_helpers import open_window

    path = default_path()
    MyDigits.open(path)[0].add(np.zeros((28, 28), np.uint8), 3)
    good = tmp_path / "good.npz"
    shutil.move(path, good)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:  # every array, but x.npy stored as x
        for name in src.namelist():
            dst.writestr("x" if name == "x.npy" else name, src.read(name))
    damaged = path.read_bytes()
    w = open_window(qtbot, timeout_ms=60_000)
    assert "not a valid npz file" in w.last_error and "kept as" in w.last_error
    aside = [p for p in path.parent.iterdir() if "unreadable" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged and len(w.state.my_digits) == 0


def test_whatever_loading_the_last_model_raises_ends_in_could_not_be_restored(started_window, tmp_path, monkeypatch):
    w = started_window
    path = _copy_default_model(tmp_path)
    for exc in (OverflowError("cannot fit 'int'"), RecursionError("maximum recursion depth exceeded"),
                TypeError("bad operand"), KeyError("kernel_1")):
        def raise_it(p, exc=exc):
            raise exc

        monkeypatch.setattr(model_io, "load_predictor_checked", raise_it)
        _remember_active_model(path)
        w.last_error = ""
        w.loader._restore_active_model(str(path), "trained")  # raised out of start() before: start-up stopped
        assert str(exc) in w.last_error and "pretrained model is used instead" in w.last_error, type(exc).__name__
        assert w.settings.active_model() is None and w.state.model.kind == "default"
