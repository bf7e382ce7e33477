"""The record of every training run (GUI and CLI), for the Runs list: ``<user data>/runs/<run-id>/``.

A run folder holds ``best.keras`` with its sidecars (``best.weights.npz``, ``best.json``) and ``run.json``:
architecture, hyperparameters, seed, history, best epoch, test accuracy, fit time (``seconds``), the number of
images fitted on (``train_images``, absent from older records), versions and the name the user gave it. ``run_training`` records every run itself (``RunWriter``): at each new best checkpoint
(``complete: false``, so an interrupted run is still listed) and at the end. A CLI run with ``--out``
elsewhere gets a run folder holding only ``run.json``, which points to its model.

Runs written before this module (``<user data>/models/run-*/`` with ``best.json``) are listed too.
No TensorFlow here.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mnist_gui.atomic import atomic_write_bytes
from mnist_gui.errors import ModelError
from mnist_gui.paths import legacy_models_dir, new_run_dir, runs_dir

log = logging.getLogger(__name__)

RECORD = "run.json"
FORMAT_VERSION = 1
MAX_NAME = 200


@dataclass
class RunRecord:
    id: str
    name: str  # "" until the user names it (``title`` falls back to the id)
    created: _dt.datetime  # when the run started (timezone-aware)
    arch: str  # "mlp" or "cnn"
    preset: str
    epochs: int  # epochs trained (history length); the planned number is config["epochs"]
    test_accuracy: float | None  # None while the run is incomplete
    seconds: float | None
    best_epoch: int
    history: dict[str, list[float]]
    model_path: Path
    folder: Path = field(default_factory=Path)
    config: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    complete: bool = True
    stop_reason: str = ""
    legacy: bool = False  # written by a version before the Runs list (no run.json)
    versions: dict[str, str] = field(default_factory=dict)
    train_images: int | None = None  # the images the run fit on; None in records written before it was kept

    @property
    def title(self) -> str:
        return self.name or self.id

    def training_config(self) -> Any:
        """The run's ``TrainingConfig`` (old records included)."""
        from mnist_gui.ml.config import TrainingConfig

        return TrainingConfig.from_dict(self.config)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _versions() -> dict[str, str]:
    from mnist_gui.ml.model_io import versions

    return versions()


class RunWriter:
    """Writes one run's ``run.json`` (atomically) as training goes; used by ``run_training``."""

    def __init__(self, model_path: Path, name: str = "") -> None:
        self.model_path = Path(model_path).absolute()
        inside = self.model_path.parent.parent == runs_dir().absolute()
        self.folder = self.model_path.parent if inside else new_run_dir("run").absolute()
        self.name = clean_name(name) if name else ""
        self.created = _now()

    @property
    def run_id(self) -> str:
        return self.folder.name

    def write(self, meta: dict[str, Any]) -> str:
        """Record ``meta`` (a training record: config, history, best_epoch, test_accuracy…); returns the run id."""
        from mnist_gui.ml.model_io import file_sha256

        self.name = self._name_on_disk()
        model = self.model_path.name if self.model_path.parent == self.folder else str(self.model_path)
        rec = _record(self.run_id, self.name, self.created, model, meta, _versions())
        if rec["complete"] and self.model_path.is_file():
            rec["model_sha256"] = file_sha256(self.model_path)  # delete_run removes an outside model only if unchanged
        _write_record(self.folder, rec)
        return self.run_id

    def _name_on_disk(self) -> str:
        """The record's name as it is now: the user may rename the run in the Runs list while it trains."""
        try:
            name = json.loads((self.folder / RECORD).read_text(encoding="utf-8")).get("name", self.name)
        except (OSError, ValueError, AttributeError):  # no record yet, or one that is not ours to read
            return self.name
        return name if isinstance(name, str) else self.name


def _record(run_id: str, name: str, created: _dt.datetime, model: str, meta: dict[str, Any],
            versions: dict[str, str]) -> dict[str, Any]:
    """``run.json`` from a training record ``meta`` (the vocabulary of a model's ``.json`` sidecar): the one place
    that lists a record's fields, for a run as it trains and for an earlier version's run renamed in the list."""
    cfg = meta.get("config", {})
    return {"format": "mnist-gui run", "format_version": FORMAT_VERSION, "id": run_id, "name": name,
            "created": created.isoformat(timespec="seconds"), "arch": meta.get("arch", cfg.get("arch", "mlp")),
            "preset": cfg.get("preset", "custom"), "seed": cfg.get("seed"), "config": cfg,
            "history": meta.get("history", {}), "best_epoch": meta.get("best_epoch", 0),
            "test_accuracy": meta.get("test_accuracy"), "test_accuracy_before": meta.get("test_accuracy_before"),
            "test_loss": meta.get("test_loss"), "seconds": meta.get("train_seconds"), "train_images": meta.get("train_images"),
            "stop_reason": meta.get("stop_reason", ""), "complete": bool(meta.get("complete")), "model": model,
            "versions": versions}


def _write_record(folder: Path, rec: dict[str, Any]) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / RECORD, json.dumps(rec, indent=2).encode())
    except OSError as exc:
        raise ModelError(f"cannot save {folder / RECORD}: {exc.strerror or exc}") from exc


def clean_name(name: str) -> str:
    """A run's name with its whitespace collapsed; ModelError past ``MAX_NAME`` characters (checked before a run starts)."""
    name = " ".join(str(name).split())
    if len(name) > MAX_NAME:
        raise ModelError(f"a run name may have at most {MAX_NAME} characters (got {len(name)})")
    return name


def _created(value: Any, folder: Path) -> _dt.datetime:
    if isinstance(value, str) and value:
        t = _dt.datetime.fromisoformat(value)
        return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)
    return _dt.datetime.fromtimestamp(folder.stat().st_mtime, _dt.timezone.utc)


def _history(value: Any) -> dict[str, list[float]]:
    if not isinstance(value, dict):
        raise ValueError("history is not a mapping")
    return {str(k): [float(x) for x in v] for k, v in value.items()}


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_int(value: Any) -> int | None:
    """A count the list only shows: anything but a whole number reads as not recorded (the run is still listed)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _from_run_json(folder: Path, d: Any) -> RunRecord:
    if not isinstance(d, dict):
        raise ValueError("not a JSON object")
    cfg = d.get("config", {})
    if not isinstance(cfg, dict):
        raise ValueError("config is not a mapping")
    model = Path(str(d.get("model", "best.keras")))
    history = _history(d.get("history", {}))
    return RunRecord(
        id=folder.name, name=str(d.get("name", "")), created=_created(d.get("created"), folder), arch=str(d.get("arch", "mlp")),
        preset=str(d.get("preset", cfg.get("preset", "custom"))), epochs=len(history.get("loss", [])),
        test_accuracy=_optional_float(d.get("test_accuracy")), seconds=_optional_float(d.get("seconds")),
        best_epoch=int(d.get("best_epoch", 0)), history=history, model_path=model if model.is_absolute() else folder / model,
        folder=folder, config=cfg, seed=None if d.get("seed") is None else int(d["seed"]), complete=bool(d.get("complete", True)),
        stop_reason=str(d.get("stop_reason", "")), versions={str(k): str(v) for k, v in dict(d.get("versions", {})).items()},
        train_images=_optional_int(d.get("train_images")))


def _from_best_json(folder: Path, d: Any) -> RunRecord:
    """A training output folder of an earlier version: ``best.keras`` and its ``best.json``."""
    if not isinstance(d, dict) or not isinstance(d.get("config", {}), dict):
        raise ValueError("not a training record")
    cfg = d.get("config", {})
    history = _history(d.get("history", {}))
    return RunRecord(
        id=folder.name, name="", created=_created(d.get("saved_at"), folder), arch=str(d.get("arch", cfg.get("arch", "mlp"))),
        preset=str(cfg.get("preset", "custom")), epochs=len(history.get("loss", [])),
        test_accuracy=_optional_float(d.get("test_accuracy")), seconds=_optional_float(d.get("train_seconds")),
        best_epoch=int(d.get("best_epoch", 0)), history=history, model_path=folder / "best.keras", folder=folder, config=cfg,
        seed=None if cfg.get("seed") is None else int(cfg["seed"]), complete=bool(d.get("complete", True)),
        stop_reason=str(d.get("stop_reason", "")), legacy=True, versions={str(k): str(v) for k, v in dict(d.get("versions", {})).items()},
        train_images=_optional_int(d.get("train_images")))


def _read(folder: Path) -> RunRecord | None:
    """The record of one folder; ``None`` if it is not a run folder; ``ValueError`` if its record is damaged."""
    for name, parse in ((RECORD, _from_run_json), ("best.json", _from_best_json)):
        f = folder / name
        if f.is_file():
            try:
                return parse(folder, json.loads(f.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError, KeyError, OverflowError) as exc:
                raise ValueError(f"{f}: damaged run record ({exc}); it is not listed") from exc
    return None


def _folders() -> list[Path]:
    """Candidate run folders: ``runs/*`` and the earlier versions' ``models/*`` (hidden ones skipped)."""
    out = []
    for parent in (runs_dir(), legacy_models_dir()):
        try:
            out += sorted(d for d in parent.iterdir() if d.is_dir() and not d.name.startswith("."))
        except OSError:
            continue
    return out


def list_runs() -> tuple[list[RunRecord], list[str]]:
    """Every recorded run, newest first, and one warning per damaged record (the others are still listed)."""
    records, warnings, seen = [], [], set()
    for folder in _folders():
        try:
            rec = _read(folder)
        except ValueError as exc:
            warnings.append(str(exc))
            continue
        if rec is not None and rec.id not in seen:  # runs/ first: an id there hides the same name under models/
            seen.add(rec.id)
            records.append(rec)
    records.sort(key=lambda r: r.created, reverse=True)
    return records, warnings


def _folder_of(run_id: str) -> Path:
    if not run_id or run_id in (".", "..") or "/" in run_id or "\\" in run_id or run_id.startswith("."):
        raise ModelError(f"{run_id!r} is not a run id")
    for parent in (runs_dir(), legacy_models_dir()):
        if (parent / run_id).is_dir():
            return parent / run_id
    raise ModelError(f"no run called {run_id!r}")


def get_run(run_id: str) -> RunRecord:
    folder = _folder_of(run_id)
    try:
        rec = _read(folder)
    except ValueError as exc:
        raise ModelError(str(exc)) from exc
    if rec is None:
        raise ModelError(f"{folder}: not a run folder")
    return rec


def rename_run(run_id: str, name: str) -> RunRecord:
    """Give a run a name ("" clears it); an earlier version's run gets its ``run.json`` now."""
    rec = get_run(run_id)
    rec_file = rec.folder / RECORD
    if rec_file.is_file():
        d = json.loads(rec_file.read_text(encoding="utf-8"))
    else:  # an earlier version's run: its record made from the best.json it was listed from
        meta = json.loads((rec.folder / "best.json").read_text(encoding="utf-8"))
        d = _record(rec.id, "", rec.created, rec.model_path.name, {**meta, "complete": rec.complete}, rec.versions)
    d["name"] = clean_name(name)
    _write_record(rec.folder, d)
    return get_run(run_id)


def delete_run(run_id: str) -> list[Path]:
    """Remove a run: its folder with everything in it, and a model it points to outside the user data folder
    (its ``.keras`` and sidecars only, and only while unchanged since the run). Nothing else is touched.

    The folder is first renamed to a hidden trash name (one atomic step: the run leaves the list whole or not
    at all), then removed. Returns what was removed. A damaged record can be deleted too.
    """
    folder = _folder_of(run_id)
    removed: list[Path] = []
    try:
        d = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        outside = Path(str(d.get("model", ""))) if isinstance(d, dict) else Path()
    except (OSError, ValueError):
        d, outside = {}, Path()
    if outside.is_absolute() and outside.parent != folder:
        removed += _delete_outside_model(outside, d.get("model_sha256"))
    trash = folder.with_name(f".trash-{folder.name}-{os.getpid()}")
    try:
        os.replace(folder, trash)
    except OSError as exc:
        raise ModelError(f"cannot delete {folder}: {exc.strerror or exc}") from exc
    removed.append(folder)
    shutil.rmtree(trash, ignore_errors=True)
    if trash.exists():  # something inside could not be removed: say so, the run is already out of the list
        log.warning("could not remove all of %s", trash)
    return removed


def _delete_outside_model(model: Path, sha: Any) -> list[Path]:
    from mnist_gui.ml.model_io import delete_model, file_sha256

    try:
        same = isinstance(sha, str) and model.is_file() and file_sha256(model) == sha
    except OSError:
        same = False
    if not same:
        log.info("not deleting %s: it is not (or no longer) the model this run wrote", model)
        return []
    return delete_model(model)
