"""Saving and loading models safely.

A model on disk is three files: ``NAME.keras`` (Keras 3 format), ``NAME.weights.npz`` (plain arrays for
the TensorFlow-free predictor, with the ``.keras`` file's sha256 so a stale copy is detected) and
``NAME.json`` (hyperparameters, history, test accuracy, date, versions). Every write is atomic.
Loading always uses ``safe_mode=True``: Lambda layers and custom objects are refused, never run.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import shutil
import zipfile
from pathlib import Path
from typing import Any

from mnist_gui.atomic import atomic_path, atomic_write_bytes
from mnist_gui.errors import ModelError
from mnist_gui.ml.inference import NumpyPredictor, weights_path_for

log = logging.getLogger(__name__)


def metadata_path_for(model_path: str | os.PathLike[str]) -> Path:
    p = Path(model_path)
    return p.with_suffix(".json")


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_model(model: Any, path: str | os.PathLike[str]) -> NumpyPredictor:
    """Write ``model`` as ``.keras`` plus its numpy weights sidecar, each atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelError(f"{path}: model files must end in .keras")
    predictor = NumpyPredictor.from_keras(model, name=path.name)
    try:
        with atomic_path(path) as tmp:
            model.save(tmp)
        predictor.save(weights_path_for(path), keras_sha256=file_sha256(path))
    except OSError as exc:
        raise ModelError(f"cannot save {path}: {exc.strerror or exc}") from exc
    return predictor


def write_metadata(model_path: str | os.PathLike[str], meta: dict[str, Any]) -> None:
    import keras
    import numpy

    from mnist_gui import __version__

    full = dict(meta)
    full.setdefault("saved_at", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    full["versions"] = {"mnist_gui": __version__, "keras": keras.__version__, "numpy": numpy.__version__,
                        "python": platform.python_version()}
    try:
        import tensorflow as tf

        full["versions"]["tensorflow"] = tf.__version__
    except ImportError:
        pass
    try:
        atomic_write_bytes(metadata_path_for(model_path), json.dumps(full, indent=2).encode())
    except OSError as exc:
        raise ModelError(f"cannot save {metadata_path_for(model_path)}: {exc.strerror or exc}") from exc


def read_metadata(model_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON sidecar, or ``{}`` when absent or unreadable (it is informative only)."""
    p = metadata_path_for(model_path)
    try:
        data = json.loads(p.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def copy_model(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Copy a saved model and its sidecars (``Save model…``), each atomically."""
    src, dst = Path(src), Path(dst)
    if dst.suffix != ".keras":
        dst = dst.with_name(dst.name + ".keras")
    pairs = [(src, dst), (weights_path_for(src), weights_path_for(dst)), (metadata_path_for(src), metadata_path_for(dst))]
    try:
        for a, b in pairs:
            if a.exists():
                with atomic_path(b) as tmp:
                    shutil.copyfile(a, tmp)
    except OSError as exc:
        raise ModelError(f"cannot save {dst}: {exc.strerror or exc}") from exc


def load_keras_model(path: str | os.PathLike[str]) -> tuple[Any, NumpyPredictor]:
    """Load a ``.keras`` file with ``safe_mode=True`` and check it is an MNIST MLP this app can run.

    Returns the Keras model and a numpy predictor copied from its weights. Raises :class:`ModelError`.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{p}: no such file")
    if p.suffix != ".keras":
        raise ModelError(f"{p}: not a .keras model file")
    if p.stat().st_size == 0:
        raise ModelError(f"{p}: the file is empty")
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{p}: not a Keras model (not a valid .keras archive, or truncated)") from exc
    if "config.json" not in names:
        raise ModelError(f"{p}: not a Keras model (the archive has no config.json)")

    import keras

    try:
        model = keras.models.load_model(p, safe_mode=True)
    except ValueError as exc:
        text = str(exc)
        if "safe_mode" in text or "Lambda" in text or "lambda" in text:
            raise ModelError(f"{p}: refused: it contains a Lambda layer or other code, which could run anything on this computer. Only plain layer models are loaded (safe mode).") from exc
        raise ModelError(f"{p}: cannot be loaded: {_first_line(text)}") from exc
    except TypeError as exc:
        raise ModelError(f"{p}: refused: it uses custom objects this app does not know ({_first_line(str(exc))})") from exc
    except Exception as exc:  # Keras raises many kinds for damaged archives
        raise ModelError(f"{p}: cannot be loaded: {_first_line(str(exc)) or type(exc).__name__}") from exc

    in_shape = tuple(model.input_shape[1:]) if hasattr(model, "input_shape") else ()
    if in_shape not in ((28, 28), (784,), (28, 28, 1)):
        raise ModelError(f"{p}: the model expects input {in_shape}; this app needs 28x28 images")
    out_shape = tuple(model.output_shape[1:])
    if out_shape != (10,):
        raise ModelError(f"{p}: the model outputs {out_shape}; this app needs 10 class probabilities")
    predictor = NumpyPredictor.from_keras(model, name=p.name)
    _check_sidecar(p, predictor)
    return model, predictor


def _check_sidecar(p: Path, predictor: NumpyPredictor) -> None:
    """The ``.keras`` is the truth: a missing or disagreeing weights sidecar is rewritten (atomically)."""
    wp = weights_path_for(p)
    try:
        side = NumpyPredictor.load(wp)
        if all(a.shape == b.shape and (abs(a - b).max() < 1e-6) for a, b in zip(side.kernels + side.biases, predictor.kernels + predictor.biases)) \
                and len(side.kernels) == len(predictor.kernels):
            return
        log.warning("%s disagrees with %s; rewriting it", wp, p)
    except ModelError:
        pass
    try:
        predictor.save(wp, keras_sha256=file_sha256(p))
    except OSError as exc:  # read-only folder: the in-memory predictor still works
        log.warning("cannot write %s: %s", wp, exc)


def load_predictor_checked(path: str | os.PathLike[str]) -> NumpyPredictor:
    """TensorFlow-free load of a model the app wrote, refusing a sidecar that no longer matches its ``.keras``."""
    p = Path(path)
    predictor = NumpyPredictor.load(weights_path_for(p))
    want = predictor.meta.get("keras_sha256")
    if want and p.is_file() and file_sha256(p) != want:
        raise ModelError(f"{weights_path_for(p)} does not belong to {p} (the model changed after it was written)")
    return predictor


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""
