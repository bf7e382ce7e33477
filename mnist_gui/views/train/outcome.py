"""Qt-free helper for what a finished fine-tuning job leaves behind: deleting a fine-tuned model nobody kept."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


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
