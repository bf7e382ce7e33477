"""What the Train tab writes to files the user chose: the active model (copied with its sidecars), the history
as CSV and the plots as PNG — each written atomically; errors are returned as text for the caller to show."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from mnist_gui.errors import UserError

log = logging.getLogger(__name__)


def history_csv(history: dict[str, list[float]]) -> str:
    """One row per epoch: ``epoch`` and every metric, in name order (a shorter metric leaves blanks)."""
    buf = io.StringIO()
    keys = sorted(history)
    w = csv.writer(buf)
    w.writerow(["epoch", *keys])
    for i in range(max((len(v) for v in history.values()), default=0)):
        w.writerow([i + 1, *[history[k][i] if i < len(history[k]) else "" for k in keys]])
    return buf.getvalue()


def save_model_file(src: Path, dst: str) -> str | None:
    """Copy a model with its weights and history; None, or why it failed."""
    from mnist_gui.ml.model_io import copy_model

    try:
        copy_model(src, dst)
    except UserError as exc:
        return str(exc)
    return None


def write_csv(history: dict[str, list[float]], path: str) -> str | None:
    from mnist_gui.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(path, history_csv(history).encode())
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    return None


def write_png(widget: QWidget, path: str) -> str | None:
    from mnist_gui.atomic import atomic_path

    try:
        with atomic_path(path) as tmp:
            if not widget.grab().save(str(tmp), "PNG"):
                raise OSError(f"cannot write {path}")
    except OSError as exc:
        return f"{path}: {getattr(exc, 'strerror', None) or exc}"
    return None


class ExportActions:
    """The Train tab's Save model / Export CSV / Export plots actions (mixed into ``TrainTab``: uses its
    ``state``, ``history`` and ``monitor``)."""

    state: Any
    monitor: Any
    history: dict[str, list[float]]

    def save_model_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save model", str(Path.home() / "mnist_model.keras"), "Keras model (*.keras)")
        if path:
            self.save_model(path)

    def save_model(self, path: str) -> bool:
        model = self.state.model
        if model is None or model.path is None:
            return False
        if (error := save_model_file(model.path, path)) is not None:
            self.state.report_error("The model could not be saved", error)
            return False
        self.state.show_status(f"Saved {Path(path).name} with its weights and history")
        return True

    def history_csv(self) -> str:
        return history_csv(self.history)

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export history", str(Path.home() / "history.csv"), "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        if (error := write_csv(self.history, path)) is not None:
            self.state.report_error("The history could not be exported", error)
            return False
        return True

    def export_plots_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", str(Path.home() / "training.png"), "PNG image (*.png)")
        if path:
            self.export_plots(path)

    def export_plots(self, path: str) -> bool:
        self.monitor.ensure_plots()
        if (error := write_png(self.monitor.plots, path)) is not None:
            self.state.report_error("The plots could not be exported", error)
            return False
        return True
