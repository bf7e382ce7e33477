"""Small Qt-free helpers for what a finished job leaves behind: how it ended (``StopReason``), where a new
run's files go, and deleting a fine-tuned model nobody kept."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def is_diverged(result: Any) -> bool:
    """Whether the run ended because the loss became NaN/infinite (``result.stop``; old results: their text)."""
    stop = getattr(result, "stop", None)
    if stop is not None:
        from mnist_gui.ml.progress import StopReason

        return stop is StopReason.DIVERGED
    return "NaN" in (getattr(result, "stop_reason", "") or "")  # fallback for results without ``stop``


def new_run_dir(kind: str) -> Path:
    """A fresh folder for a run's files (``mnist_gui.paths.new_run_dir``)."""
    try:
        from mnist_gui.paths import new_run_dir as make
    except ImportError:  # pragma: no cover - an older core: the folder naming it used
        import datetime as dt

        from mnist_gui.paths import user_data_dir

        return user_data_dir() / "models" / dt.datetime.now().strftime(f"{kind}-%Y%m%d-%H%M%S-%f")
    return make(kind)


def delete_finetuned(model_path: Path) -> None:
    """Delete a fine-tuned model nobody kept (its ``.keras`` and sidecars) and its run folder if that is then empty."""
    from mnist_gui.errors import UserError
    from mnist_gui.ml.model_io import delete_model

    model_path = Path(model_path)
    try:
        delete_model(model_path)
    except UserError as exc:
        log.warning("could not delete %s: %s", model_path, exc)
    folder = model_path.parent
    for p in folder.glob(f".{model_path.stem}.*"):  # temp files of a save the job did not finish
        try:
            p.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete %s: %s", p, exc)
    try:
        folder.rmdir()  # only if nothing else is in it
    except OSError:
        pass
