"""The File menu's work: open an image, save the drawing, load or export a model, import/export My digits.

Everything slow runs off the GUI thread (decoding a photo, reading a ``.keras``, an export); a ``.keras``
needs TensorFlow, which is imported on first use (``StartupLoader.after_tensorflow``). Errors go to the
window's dialog through ``AppState.report_error``; progress to the status bar through ``show_status``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from mnist_gui.errors import UserError
from mnist_gui.views.state import ActiveModel
from mnist_gui.views.threads import run_in_thread

if TYPE_CHECKING:
    from mnist_gui.ml.export import ExportResult
    from mnist_gui.views.main_window import MainWindow

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"


@dataclass(frozen=True)
class ExportFormat:
    key: str  # the name ``mnist_gui.ml.export.export_model`` takes
    name_filter: str  # the file dialog's filter for it
    suffix: str  # "" for a folder


EXPORT_FORMATS = (
    ExportFormat("keras", "Keras model (*.keras)", ".keras"),
    ExportFormat("saved_model", "TensorFlow SavedModel folder (*)", ""),
    ExportFormat("tflite", "TensorFlow Lite (*.tflite)", ".tflite"),
)
_KNOWN_SUFFIXES = {f.suffix for f in EXPORT_FORMATS if f.suffix}


def export_target(path: str, name_filter: str) -> tuple[str, Path]:
    """The export format and output path for what the save dialog returned.

    The chosen filter decides the format (else the typed suffix, else Keras); the path gets that format's
    suffix (a SavedModel is a folder: a ``.keras``/``.tflite`` typed by habit is dropped).
    """
    p = Path(path)
    fmt = next((f for f in EXPORT_FORMATS if f.name_filter == name_filter), None)
    if fmt is None:
        fmt = next((f for f in EXPORT_FORMATS if f.suffix and f.suffix == p.suffix.lower()), EXPORT_FORMATS[0])
    if p.suffix.lower() in _KNOWN_SUFFIXES and p.suffix.lower() != fmt.suffix:
        p = p.with_suffix("")
    if fmt.suffix and p.suffix.lower() != fmt.suffix:
        p = p.with_name(p.name + fmt.suffix)
    return fmt.key, p


class FileActions(QObject):
    """The window's file actions; dialogs are parented to the window, results shown on the GUI thread."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.state = window.state
        self._image_request = 0  # counts open_image calls: only the latest one's result is shown

    # --- images -------------------------------------------------------------------------------------
    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open image", str(Path.home()), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_image(self, path: str) -> None:
        """Decode the file off the GUI thread (a 6000×6000 photo takes seconds); it then replaces the drawing."""
        if self.state.closing:
            return
        self._image_request += 1
        self.state.show_status(f"Opening {Path(path).name}…")
        run_in_thread(_read_image, self._image_request, path, name="open-image", on_done=self._on_image_read,
                      on_failed=self._on_image_failed, receiver=self)

    def _on_image_read(self, result: object) -> None:
        request, path, ink = result  # type: ignore[misc]
        if self.state.closing or request != self._image_request:
            return  # the window is closing, or a later open_image replaced this one
        self.w.tabs.setCurrentWidget(self.w.draw_tab)
        self.w.draw_tab.show_digit(ink)
        self.state.show_status(f"Opened {Path(path).name}")

    def _on_image_failed(self, message: str, exc: object) -> None:
        self.state.show_status("The image was not opened")
        self.state.report_error("This image cannot be used", message)

    def save_drawing_dialog(self) -> None:
        if self.w.draw_tab.canvas.is_empty():
            self.state.show_status("Nothing to save: the canvas is empty")
            return
        path, _ = QFileDialog.getSaveFileName(self.w, "Save drawing", str(Path.home() / "digit.png"), "PNG image (*.png)")
        if path:
            self.save_drawing(path)

    def save_drawing(self, path: str) -> bool:
        """Save the full-size drawing and its 28×28 model input (``NAME_28x28.png``), atomically."""
        from mnist_gui.atomic import atomic_path

        p = Path(path)
        if p.suffix.lower() != ".png":
            p = p.with_suffix(".png")
        canvas = self.w.draw_tab.canvas
        full, small = canvas.render_array(), canvas.to_mnist()
        try:
            for target, arr in ((p, full), (p.with_name(p.stem + "_28x28.png"), small)):
                with atomic_path(target) as tmp:
                    _save_png(arr, tmp)
        except (OSError, ValueError) as exc:
            self.state.report_error("The drawing could not be saved", f"{p}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.state.show_status(f"Saved {p.name} and {p.stem}_28x28.png")
        return True

    # --- models -------------------------------------------------------------------------------------
    def load_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Load model", self.w.settings.last_model_dir, "Keras model (*.keras)")
        if path:
            self.load_model(path)

    def load_model(self, path: str, kind: str = "file", restoring: bool = False) -> None:
        """Load a .keras file (safe mode) off the GUI thread, once TensorFlow is there; it becomes the active model.

        ``restoring``: the model that was active at the last close, whose numpy weights must be derived again
        (``kind`` is kept); if it cannot be loaded it is forgotten, so the next start does not fail the same way.
        """
        if self.state.closing:
            return
        if not restoring:
            self.w.settings.last_model_dir = str(Path(path).parent)
        if not self.state.tf_ready:
            self.state.show_status(f"Loading TensorFlow to read {Path(path).name}…")
        self.w.loader.after_tensorflow(lambda: self._start_model_load(path, kind, restoring))

    def _start_model_load(self, path: str, kind: str, restoring: bool) -> None:
        if self.state.closing:
            return
        self.state.show_status(f"Loading {Path(path).name}…")
        run_in_thread(_load_model_file, path, name="load-model", receiver=self,
                      on_done=lambda result: self._on_model_loaded(result, kind, restoring),
                      on_failed=lambda message, exc: self._on_model_failed(message, restoring))

    def _on_model_loaded(self, result: object, kind: str = "file", restoring: bool = False) -> None:
        if self.state.closing:
            return
        path, predictor, meta = result  # type: ignore[misc]
        self.state.set_model(ActiveModel(predictor, kind, Path(path), meta.get("test_accuracy")))
        if not restoring:  # a restored model's curves are not news; a loaded file's are
            self.w.train_tab.show_loaded_history(meta)
        self.state.show_status(f"Loaded {Path(path).name}")

    def _on_model_failed(self, message: str, restoring: bool = False) -> None:
        self.state.show_status("The model was not loaded")
        if restoring:
            self.w.settings.clear_active_model()
            self.state.report_error("Your last model could not be restored", f"{message}\n\nThe pretrained model is used instead.")
        else:
            self.state.report_error("This model cannot be loaded", message)

    def export_model_dialog(self) -> None:
        m = self.state.model
        if m is None or m.path is None or not Path(m.path).is_file():
            self.state.show_status("No model file to export: train, fine-tune or load a model first")
            return
        from mnist_gui.ml.export import default_export_path

        filters = ";;".join(f.name_filter for f in EXPORT_FORMATS)
        start = str(Path(self.w.settings.last_model_dir) / default_export_path(m.path, "keras").name)
        path, chosen = QFileDialog.getSaveFileName(self.w, "Export model", start, filters, EXPORT_FORMATS[0].name_filter)
        if path:
            fmt, out = export_target(path, chosen)
            self.export_model(fmt, out)

    def export_model(self, fmt: str, out: Path) -> None:
        """Export the active model's ``.keras`` as ``fmt`` to ``out`` (checked against the original), off this thread."""
        m = self.state.model
        if self.state.closing or m is None or m.path is None:
            return
        src = Path(m.path)
        self.state.show_status(f"Exporting {src.name} as {fmt} — loading TensorFlow…" if not self.state.tf_ready
                               else f"Exporting {src.name} as {fmt}…")
        self.w.loader.after_tensorflow(lambda: self._start_export(src, fmt, out))

    def _start_export(self, src: Path, fmt: str, out: Path) -> None:
        if self.state.closing:
            return
        self.state.show_status(f"Exporting {src.name} as {fmt}…")
        run_in_thread(_export, src, fmt, out, self.w.data_path, name="export-model", on_done=self._on_exported,
                      on_failed=self._on_export_failed, receiver=self)

    def _on_exported(self, result: ExportResult) -> None:
        if self.state.closing:
            return
        self.state.show_status(f"Exported to {result.path.name}")
        box = QMessageBox(QMessageBox.Information, "Model exported", f"Exported to {result.path}", QMessageBox.Ok, self.w)
        box.setInformativeText(f"Checked on {result.n_checked} test digits: largest probability difference "
                               f"{result.max_abs_diff:.1e}.")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.show()  # non-blocking, like the error dialog

    def _on_export_failed(self, message: str, exc: object) -> None:
        self.state.show_status("The model was not exported")
        self.state.report_error("The model could not be exported", message)

    # --- My digits ------------------------------------------------------------------------------------
    def import_my_digits_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Import digits", str(Path.home()), "Keras MNIST layout (*.npz)")
        if path:
            self.import_my_digits(path)

    def import_my_digits(self, path: str) -> bool:
        try:
            n = self.state.my_digits.import_npz(path)
        except UserError as exc:
            self.state.report_error("These digits cannot be imported", str(exc))
            return False
        except OSError as exc:
            self.state.report_error("My digits could not be saved", f"{exc.strerror or exc}. Nothing was imported.")
            return False
        self.state.notify_my_digits_changed()
        self.state.show_status(f"Imported {n} digits from {Path(path).name} — My digits: {len(self.state.my_digits)}")
        return True

    def export_my_digits_dialog(self) -> None:
        if not len(self.state.my_digits):
            self.state.show_status("My digits is empty: draw a digit and press its number key to add it")
            return
        path, _ = QFileDialog.getSaveFileName(self.w, "Export digits", str(Path.home() / "my_digits.npz"), "Keras MNIST layout (*.npz)")
        if path:
            self.export_my_digits(path)

    def export_my_digits(self, path: str) -> bool:
        try:
            self.state.my_digits.export_npz(path)
        except OSError as exc:
            self.state.report_error("My digits could not be exported", f"{path}: {exc.strerror or exc}")
            return False
        self.state.show_status(f"Exported {len(self.state.my_digits)} digits to {Path(path).name}")
        return True


def _save_png(arr: np.ndarray, path: Path) -> None:
    from PIL import Image

    g = (255 - np.clip(arr, 0, 1) * 255).astype(np.uint8)  # dark ink on white, like paper
    with open(path, "wb") as f:
        Image.fromarray(g).save(f, format="PNG")


def _read_image(request: int, path: str) -> tuple[int, str, np.ndarray]:
    """Worker thread: decode, and shrink to what the canvas can show, so the GUI thread only gets ≤ 1024²."""
    from mnist_gui.ml.images import load_image, shrink_for_display

    return request, path, shrink_for_display(load_image(path))


def _load_model_file(path: str) -> tuple[str, object, dict]:
    """Worker thread (TensorFlow already imported): the predictor and metadata of a ``.keras`` file."""
    from mnist_gui.ml.model_io import load_keras_model, read_metadata

    _, predictor = load_keras_model(path)
    return path, predictor, read_metadata(path)


def _export(src: Path, fmt: str, out: Path, data_path: str | None) -> ExportResult:
    from mnist_gui.ml.export import export_model

    return export_model(src, fmt, out, data_path=data_path)
