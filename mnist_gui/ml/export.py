"""Export a model for use elsewhere: ``.keras``, TensorFlow SavedModel (a folder) or TFLite (LiteRT).

Every export is written under a temporary name beside its target, loaded back and compared with the
original on MNIST test digits (max |probability difference| ≤ 1e-5), and only then moved into place in
one rename: a failed or inexact export never appears under the chosen name, and an earlier file there survives.

ONNX is not offered: Keras converts to ONNX through ``tf2onnx``, which has had no release since early 2024 and
pins an old protobuf that TensorFlow 2.21 no longer accepts; checking an ONNX file would also need
``onnxruntime`` in the bundle.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mnist_gui.errors import ConfigError, ModelError

FORMATS = ("keras", "saved_model", "tflite")
UNSUPPORTED = {"onnx": "ONNX export is not available (Keras needs tf2onnx for it, which is unmaintained and does not "
                       "work with this TensorFlow); choose keras, saved_model or tflite"}
TOLERANCE = 1e-5
N_CHECK = 1000


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    max_abs_diff: float  # between the original and the export, on ``n_checked`` test digits
    n_checked: int
    tolerance: float
    seconds: float


def default_export_path(model_path: str | os.PathLike[str], fmt: str) -> Path:
    """Beside the model, named after it (``best.tflite``, ``best_saved_model/``, ``best-export.keras``), never an existing name."""
    p = Path(model_path)
    stem, suffix = {"keras": (f"{p.stem}-export", ".keras"), "saved_model": (f"{p.stem}_saved_model", ""),
                    "tflite": (p.stem, ".tflite")}[_checked_format(fmt)]
    out, n = p.with_name(stem + suffix), 2
    while os.path.lexists(out):
        out, n = p.with_name(f"{stem}-{n}{suffix}"), n + 1
    return out


def _checked_format(fmt: str) -> str:
    if fmt in FORMATS:
        return fmt
    raise ConfigError(UNSUPPORTED.get(fmt, f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})"))


def _check_target(src: Path, out: Path, fmt: str) -> None:
    if out.resolve() == src.resolve():
        raise ModelError(f"{out}: the export would replace the model it is made from; choose another --out")
    if fmt == "keras" and out.suffix != ".keras":
        raise ModelError(f"{out}: a .keras export must end in .keras")
    if fmt == "saved_model":
        if out.exists() and not out.is_dir():
            raise ModelError(f"{out}: a file; a SavedModel is a folder")
        if out.is_dir() and any(out.iterdir()) and not (out / "saved_model.pb").is_file():
            raise ModelError(f"{out}: a folder that is not a SavedModel; it is not replaced")
    elif out.is_dir():
        raise ModelError(f"{out}: a folder, not a file")


def _check_digits(data_path: str | os.PathLike[str] | None, n: int) -> np.ndarray:
    from mnist_gui.ml.data import load_mnist, rescale

    return rescale(load_mnist(data_path).x_test[:n])


def _max_diff(got: Any, ref: np.ndarray, what: str) -> float:
    got = np.asarray(got, dtype=np.float32)
    if got.shape != ref.shape:
        raise ModelError(f"the {what} export answers with shape {got.shape}, the model with {ref.shape}")
    return float(np.max(np.abs(got - ref)))


def _run_saved_model(folder: Path, x: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(folder))
    out = loaded.serve(tf.constant(x))
    if isinstance(out, dict):
        (out,) = out.values()
    return np.asarray(out)


def _run_tflite(path: Path, x: np.ndarray) -> np.ndarray:
    try:
        from ai_edge_litert.interpreter import Interpreter  # the maintained runtime, when installed
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806 (a class)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TF's own interpreter warns that it is deprecated in favour of LiteRT
        it = Interpreter(model_path=str(path))
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    it.resize_tensor_input(inp["index"], [len(x), *x.shape[1:]])
    it.allocate_tensors()
    it.set_tensor(inp["index"], x.astype(np.float32))
    it.invoke()
    return np.array(it.get_tensor(out["index"]))


@contextlib.contextmanager
def _atomic_folder(target: Path) -> Any:
    """Yield a temp folder beside ``target``; on success it takes ``target``'s place (an earlier one is removed after)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; an exported folder should look like any other
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def export_model(model_path: str | os.PathLike[str], fmt: str, out: str | os.PathLike[str] | None = None, *,
                 data_path: str | os.PathLike[str] | None = None, n_check: int = N_CHECK, tolerance: float = TOLERANCE,
                 x_check: np.ndarray | None = None) -> ExportResult:
    """Export ``model_path`` (a ``.keras`` the app can load) as ``fmt`` to ``out`` and prove it answers as the original.

    ``x_check`` (float images in [0, 1]) replaces the first ``n_check`` MNIST test digits. Raises
    :class:`ConfigError` for a bad format and :class:`ModelError` for a bad target, an unwritable folder or an
    export that differs by more than ``tolerance``.
    """
    from mnist_gui.atomic import atomic_path
    from mnist_gui.ml.model import model_input
    from mnist_gui.ml.model_io import check_model_file, load_keras_model, prepare_output_dir, remove_empty_dirs

    fmt = _checked_format(fmt)
    src = check_model_file(model_path)
    target = Path(out) if out is not None else default_export_path(src, fmt)
    _check_target(src, target, fmt)
    created = prepare_output_dir(target.parent)  # an unwritable folder is found before TensorFlow loads
    t0 = time.perf_counter()
    try:
        x = np.asarray(x_check, np.float32) if x_check is not None else _check_digits(data_path, n_check)
        model, _ = load_keras_model(src)
        x = model_input(model, x)
        ref = np.asarray(model.predict(x, batch_size=256, verbose=0), np.float32)
        diff = float("nan")
        if fmt == "saved_model":
            with _atomic_folder(target) as tmp:
                model.export(str(tmp), format="tf_saved_model", verbose=False)
                diff = _max_diff(_run_saved_model(tmp, x), ref, fmt)
                _refuse_if_inexact(diff, tolerance, fmt)
        else:
            with atomic_path(target) as tmp:
                if fmt == "keras":
                    import keras

                    model.save(tmp)
                    diff = _max_diff(keras.models.load_model(tmp, safe_mode=True).predict(x, batch_size=256, verbose=0), ref, fmt)
                else:
                    model.export(str(tmp), format="litert", verbose=False)
                    diff = _max_diff(_run_tflite(tmp, x), ref, fmt)
                _refuse_if_inexact(diff, tolerance, fmt)
    except OSError as exc:
        remove_empty_dirs(created)
        raise ModelError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException as exc:  # the temp file or folder is gone already (atomic_path, _atomic_folder)
        remove_empty_dirs(created)
        reason = _tf_write_error(exc)
        if reason:
            raise ModelError(f"cannot write {target}: {reason}") from exc
        raise
    return ExportResult(target, fmt, diff, len(x), tolerance, time.perf_counter() - t0)


def _tf_write_error(exc: BaseException) -> str:
    """Why TensorFlow failed, if ``exc`` is one of its op errors (a full disk during a SavedModel write); else ""."""
    import sys

    tf = sys.modules.get("tensorflow")  # loaded whenever a TensorFlow error can have been raised
    if tf is None or not isinstance(exc, tf.errors.OpError):
        return ""
    text = str(getattr(exc, "message", "") or exc)
    if "No space left" in text or "ENOSPC" in text:
        return "no space left on the device"
    if isinstance(exc, tf.errors.ResourceExhaustedError):
        return f"out of space or memory ({text.splitlines()[0][:300] if text else 'resource exhausted'})"
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _refuse_if_inexact(diff: float, tolerance: float, fmt: str) -> None:
    if not diff <= tolerance:  # NaN too
        raise ModelError(f"the {fmt} export answers differently from the model (max |probability difference| {diff:.2e} "
                         f"> {tolerance:.0e}); nothing was written")
