"""Saving and loading models safely.

A model on disk is three files: ``NAME.keras`` (Keras 3 format), ``NAME.weights.npz`` (plain arrays for
the TensorFlow-free predictor, with the ``.keras`` file's sha256 so a stale copy is detected) and
``NAME.json`` (hyperparameters, history, test accuracy, date, versions). Every write is atomic (``save_model``'s
all or nothing). Loading uses ``safe_mode=True``: Lambda layers and custom objects are refused, never run; archives
are size-checked before anything unpacks them (decompression bombs).
A model the app did not write gets its numpy weights derived in memory and cached under the user data
folder (``cache/weights/<sha256>.weights.npz``), never written beside the user's file. Both architectures
(the MLP and the CNN) use this layout; the ``.weights.npz`` says which it holds (``inference.load_weights``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from mnist_gui.atomic import atomic_path
from mnist_gui.errors import DataError, ModelError
from mnist_gui.ml.data import path_kind, zip_unpacked_sizes
from mnist_gui.ml.inference import Predictor, load_weights, predictor_from_keras, weights_path_for

log = logging.getLogger(__name__)

MAX_KERAS_CONFIG_BYTES = 2**20  # the shipped models' config.json is ~10 KB: far more is a decompression bomb
MAX_MODEL_UNPACKED_BYTES = 256 * 2**20  # the shipped .keras unpack to ~8 MB; also bounds a .weights.npz (~3 MB)
MAX_METADATA_BYTES = 16 * 2**20  # a NAME.json holds a few KB (its history ~80 bytes an epoch)


def metadata_path_for(model_path: str | os.PathLike[str]) -> Path:
    return Path(model_path).with_suffix(".json")


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_files(model_path: str | os.PathLike[str]) -> list[Path]:
    """The files of one saved model: ``NAME.keras``, ``NAME.weights.npz`` and ``NAME.json`` (present or not)."""
    p = Path(model_path)
    return [p, weights_path_for(p), metadata_path_for(p)]


def delete_model(model_path: str | os.PathLike[str]) -> list[Path]:
    """Remove a ``.keras`` file and its sidecars; missing ones are fine. Returns the files removed.

    Each file is first renamed to a hidden name in its folder (one atomic step, so no half-deleted model
    keeps its name), then unlinked. A path that is not a regular file (a folder, a device) is refused.
    """
    p = Path(model_path)
    if p.suffix != ".keras":
        raise ModelError(f"{p}: not a .keras model file")
    removed = []
    for f in model_files(p):
        if not os.path.lexists(f):
            continue
        if f.is_dir() or (f.exists() and not f.is_file()):
            raise ModelError(f"cannot delete {f}: not a regular file")
        trash = f.with_name(f".{f.name}.deleting-{os.getpid()}")
        try:
            os.replace(f, trash)
            trash.unlink()
        except OSError as exc:
            raise ModelError(f"cannot delete {f}: {exc.strerror or exc}") from exc
        removed.append(f)
    return removed


def save_model(model: Any, path: str | os.PathLike[str], meta: dict[str, Any] | None = None) -> Predictor:
    """Write ``model`` (MLP or CNN) as ``.keras``, its numpy weights sidecar and (if given) ``meta`` as its ``.json``, all
    or nothing: a failure (a full disk) before every file is written and synced leaves the previous ones as they were."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelError(f"{path}: model files must end in .keras")
    predictor = predictor_from_keras(model, name=path.name)
    targets, tmps = model_files(path)[: 3 if meta is not None else 2], []
    try:
        with contextlib.ExitStack() as stack:  # renames on exit in reverse order: the .keras last
            for target in targets:  # ``target``: the file named if anything fails
                tmps.append(stack.enter_context(atomic_path(target)))
            target = path
            model.save(tmps[0])
            target = targets[1]
            predictor.save(tmps[1], keras_sha256=file_sha256(tmps[0]))
            if meta is not None:
                target = targets[2]
                _write_json(tmps[2], meta)
            target = path
            for tmp in tmps:  # all synced before the first rename
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
    except (OSError, ValueError, RuntimeError) as exc:  # Keras/h5py wrap some write failures (a full disk) in the last two
        reason = (exc.strerror if isinstance(exc, OSError) else None) or exc
        raise ModelError(f"cannot save {target}: {reason}; nothing was saved (this model's earlier files are unchanged)") from exc
    return predictor


def versions() -> dict[str, str]:
    """Versions of the app, Python, numpy, Keras and TensorFlow (the last two when loaded: always, after training)."""
    import sys

    import numpy

    from mnist_gui import __version__

    out = {"mnist_gui": __version__, "numpy": numpy.__version__, "python": platform.python_version()}
    for name in ("keras", "tensorflow"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__version__", None):
            out[name] = str(module.__version__)
    return out


def _write_json(path: Path, meta: dict[str, Any]) -> None:
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    full = {**meta, "saved_at": meta.get("saved_at", now), "versions": versions()}
    path.write_bytes(json.dumps(full, indent=2).encode())


def write_metadata(model_path: str | os.PathLike[str], meta: dict[str, Any]) -> None:
    """Replace a model's ``.json`` alone, atomically (``save_model(..., meta)`` writes it with the model)."""
    target = metadata_path_for(model_path)
    try:
        with atomic_path(target) as tmp:
            _write_json(tmp, meta)
    except OSError as exc:
        kept = f" ({Path(model_path).name} itself is saved; its details were not)" if Path(model_path).is_file() else ""
        raise ModelError(f"cannot save {target}: {exc.strerror or exc}{kept}") from exc


def read_metadata(model_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON sidecar, or ``{}`` when absent or unreadable: it is informative only, so damage is logged and ignored
    (a ``test_accuracy`` that is not a fraction 0-1 too: it is shown formatted as a percentage)."""
    p = metadata_path_for(model_path)
    try:
        if p.stat().st_size > MAX_METADATA_BYTES:
            raise ValueError(f"{p.stat().st_size:,} bytes, more than a details file ever holds")
        data = json.loads(p.read_text())
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        if not isinstance(exc, FileNotFoundError):
            log.warning("ignoring the unreadable model details file %s: %s", p, str(exc)[:200] or type(exc).__name__)
        return {}
    acc = data.get("test_accuracy") if isinstance(data, dict) else None
    if acc is not None and (type(acc) not in (int, float) or not 0 <= acc <= 1):
        log.warning("ignoring test_accuracy %.40r in %s: not a fraction 0-1", data.pop("test_accuracy"), p)
    return data if isinstance(data, dict) else {}


def copy_model(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Copy a saved model and its sidecars (``Save model…``), each atomically."""
    src, dst = Path(src), Path(dst)
    if dst.suffix != ".keras":
        dst = dst.with_name(dst.name + ".keras")
    pairs = [(src, dst), (weights_path_for(src), weights_path_for(dst)), (metadata_path_for(src), metadata_path_for(dst))]
    for a, b in pairs:
        try:
            if a.exists():
                with atomic_path(b) as tmp:
                    shutil.copyfile(a, tmp)
        except OSError as exc:
            raise ModelError(f"cannot save {b}: {exc.strerror or exc}") from exc


def load_keras_model(path: str | os.PathLike[str]) -> tuple[Any, Predictor]:
    """Load a ``.keras`` file with ``safe_mode=True`` and check it is an MNIST MLP or CNN this app can run.

    Returns the Keras model and a numpy predictor copied from its weights. Raises :class:`ModelError`.
    """
    p = check_model_file(path)
    if p.stat().st_size == 0:
        raise ModelError(f"{p}: the file is empty")
    sizes = _archive_sizes(p, f"{p}: not a Keras model (not a valid .keras archive, or truncated)")
    if "config.json" not in sizes:
        raise ModelError(f"{p}: not a Keras model (the archive has no config.json)")
    if sizes["config.json"] > MAX_KERAS_CONFIG_BYTES:  # checked before Keras unpacks anything
        raise ModelError(f"{p}: refused: its config.json would unpack to {sizes['config.json'] / 2**20:,.0f} MB "
                         f"(limit {MAX_KERAS_CONFIG_BYTES // 2**20} MB; a model's is a few KB)")

    import keras

    try:
        model = keras.models.load_model(p, safe_mode=True)
    except Exception as exc:  # Keras raises many kinds for damaged archives
        raise ModelError(_load_error_message(p, exc)) from exc

    in_shape = tuple(model.input_shape[1:]) if hasattr(model, "input_shape") else ()
    if in_shape not in ((28, 28), (784,), (28, 28, 1)):
        raise ModelError(f"{p}: the model expects input {in_shape}; this app needs 28x28 images")
    out_shape = tuple(model.output_shape[1:])
    if out_shape != (10,):
        raise ModelError(f"{p}: the model outputs {out_shape}; this app needs 10 class probabilities")
    predictor = predictor_from_keras(model, name=p.name)
    _check_sidecar(p, predictor)
    return model, predictor


def _archive_sizes(p: Path, bad: str) -> dict[str, int]:
    """What each member of the zip ``p`` unpacks to; a ModelError (``bad`` if it is no zip) if more than a model needs."""
    try:
        sizes = zip_unpacked_sizes(p)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelError(bad) from exc
    if (total := sum(sizes.values())) > MAX_MODEL_UNPACKED_BYTES:
        raise ModelError(f"{p}: refused: it would unpack to {total / 2**20:,.0f} MB "
                         f"(limit {MAX_MODEL_UNPACKED_BYTES // 2**20} MB; the shipped models need about 8 MB)")
    return sizes


def _load_weights(wp: Path) -> Predictor:
    """``load_weights``, size-checked first (its readers turn any damage into a ModelError naming the file)."""
    _archive_sizes(wp, f"{wp}: not a valid weights file (not an npz archive, or truncated)")
    return load_weights(wp)


def check_model_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it is a regular ``.keras`` file; otherwise a ModelError saying what it is."""
    p = Path(path)
    try:
        kind = path_kind(p)
    except DataError as exc:
        raise ModelError(str(exc).replace("no such file or folder", "no such file")) from exc
    if kind == "folder":
        raise ModelError(f"{p}: a folder, not a .keras model file")
    if p.suffix != ".keras":
        raise ModelError(f"{p}: not a .keras model file")
    return p


def _load_error_message(p: Path, exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, ValueError) and ("safe_mode" in text or "Lambda" in text or "lambda" in text):
        return (f"{p}: refused: it contains a Lambda layer or other code, which could run anything on this computer. "
                "Only plain layer models are loaded (safe mode).")
    custom = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
    if custom:
        return f"{p}: refused: it uses custom objects this app does not know ({custom.group(1)}); only built-in Keras layers are loaded"
    if isinstance(exc, json.JSONDecodeError):
        return (f"{p}: its config.json is damaged (not valid JSON at line {exc.lineno}, column {exc.colno}). "
                "Save or export the model again where it was made.")
    return f"{p}: cannot be loaded: {keras_error_text(text) or type(exc).__name__}"


# Keras nests its causes as "…\n\nException encountered: …" and embeds whole configs; the user needs
# each cause's sentence, not the dumps or the advice meant for the model's programmer.
_NOISE = (re.compile(r"\s*(?:using |Full object )?config[=:]\s*\{.*", re.S),
          re.compile(r"\s*Please ensure that components that are Python object instances.*?method\.", re.S),
          re.compile(r"\s*Make sure custom classes and functions are decorated.*?load them\.", re.S))


def keras_error_text(text: str, limit: int = 1200) -> str:
    """The useful part of a Keras load error: every nested cause, short, in order, without config dumps."""
    causes: list[str] = []
    for raw in re.split(r"\n\s*Exception encountered:\s*", text.strip()):
        cause = raw
        for pattern in _NOISE:
            cause = pattern.sub("", cause)
        cause = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", cause)
        cause = " ".join(cause.split()).rstrip(".")
        if cause and cause not in causes:
            causes.append(cause)
    joined = ": ".join(causes)
    if len(joined) > limit:  # keep the first (what failed) and the last (why)
        joined = f"{causes[0][:limit // 2]} … {causes[-1][-(limit // 2):]}"
    return joined


def _cache_path(keras_sha256: str) -> Path:
    from mnist_gui.paths import user_data_dir

    return user_data_dir() / "cache" / "weights" / f"{keras_sha256}.weights.npz"


CACHE_KEEP = 32  # derived weights of ~3 MB each; older ones are rebuilt from their .keras when needed


def _write_cache(predictor: Predictor, sha: str) -> None:
    target = _cache_path(sha)
    try:
        predictor.save(target, keras_sha256=sha)
        old = sorted(target.parent.glob("*.weights.npz"), key=lambda f: f.stat().st_mtime, reverse=True)[CACHE_KEEP:]
        for f in old:
            f.unlink(missing_ok=True)
    except OSError as exc:  # the in-memory predictor still works; the next load derives it again
        log.warning("cannot cache the weights of this model in %s: %s", target, exc)


def _check_sidecar(p: Path, predictor: Predictor) -> None:
    """The ``.keras`` is the truth. A sidecar the app wrote that disagrees is rewritten (atomically); a model
    without one gets its weights cached under the user data folder, not written beside the user's file."""
    wp = weights_path_for(p)
    sha = file_sha256(p)
    if not wp.exists():
        if not _cache_path(sha).is_file():
            _write_cache(predictor, sha)
        return
    try:
        side = _load_weights(wp)
        if type(side) is type(predictor) and all(a.shape == b.shape and (abs(a - b).max() < 1e-6) for a, b in zip(side.kernels + side.biases, predictor.kernels + predictor.biases)) \
                and len(side.kernels) == len(predictor.kernels):
            return
    except ModelError:
        pass
    log.warning("%s does not match %s; rewriting it", wp, p)
    try:
        predictor.save(wp, keras_sha256=sha)
    except OSError as exc:  # read-only folder: keep a copy in the cache instead
        log.warning("cannot write %s: %s", wp, exc)
        _write_cache(predictor, sha)


def load_predictor_checked(path: str | os.PathLike[str]) -> Predictor:
    """TensorFlow-free load of a model's numpy weights: its sidecar, else the cache, checked against the ``.keras`` by hash.

    Raises :class:`ModelError` when neither holds weights that belong to this ``.keras`` (``load_keras_model``
    then derives them).
    """
    p = check_model_file(path)
    sha = file_sha256(p)
    wp = weights_path_for(p)
    problem = f"{p}: no numpy weights derived from it yet"
    if wp.is_file():
        try:
            predictor = _load_weights(wp)
            want = predictor.meta.get("keras_sha256")
            if not want or want == sha:
                return predictor
            problem = f"{wp} does not belong to {p} (the model changed after it was written)"
        except ModelError as exc:  # a damaged sidecar: the cache may still hold the right weights
            problem = str(exc)
    cached = _cache_path(sha)
    if cached.is_file():
        try:
            predictor = _load_weights(cached)
            predictor.name = p.name
            return predictor
        except ModelError as exc:  # a damaged cache entry: derive again
            log.warning("ignoring damaged cached weights %s: %s", cached, exc)
    raise ModelError(problem)


def load_predictor_for(path: str | os.PathLike[str]) -> Predictor:
    """The numpy predictor of any ``.keras`` file: fast from a matching sidecar or the cache, else derived via Keras."""
    try:
        return load_predictor_checked(path)
    except ModelError:
        check_model_file(path)  # a missing or wrong file: say so, without loading TensorFlow
    return load_keras_model(path)[1]


def prepare_output_dir(folder: str | os.PathLike[str]) -> list[Path]:
    """Create ``folder`` if needed and prove it is writable before any work is done.

    Returns the folders it created (so a failed run can remove them); raises :class:`ModelError` naming the folder.
    """
    folder = Path(folder)
    created = [d for d in (folder, *folder.parents) if not os.path.lexists(d)][::-1]
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"{folder} is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        remove_empty_dirs(created)
        reason = exc.strerror or str(exc)
        if isinstance(exc, NotADirectoryError):
            blocker = next((d for d in (*reversed(folder.parents), folder) if d.exists() and not d.is_dir()), folder)
            reason = "it is a file, not a folder" if blocker == folder else f"{blocker} is a file, not a folder"
        raise ModelError(f"cannot write to the output folder {folder}: {reason}") from exc
    return created


def remove_empty_dirs(dirs: list[Path]) -> None:
    """Remove the given folders, deepest first, if they are (still) empty: a failed run leaves nothing behind."""
    for d in reversed(dirs):
        try:
            d.rmdir()
        except OSError:
            pass
