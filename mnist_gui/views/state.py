"""Application state shared by the tabs: the dataset and the active model, with change signals."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from mnist_gui.ml.data import Mnist
from mnist_gui.ml.inference import NumpyPredictor
from mnist_gui.ml.my_digits import MyDigits
from mnist_gui.views.dataset.predictions import PredictionCache

log = logging.getLogger(__name__)


@dataclass
class ActiveModel:
    predictor: NumpyPredictor
    kind: str  # "default", "trained", "finetuned" or "file"
    path: Path | None
    test_accuracy: float | None

    def label(self) -> str:
        name = {"default": "default (pretrained)", "trained": "trained this session",
                "finetuned": "fine-tuned on My digits"}.get(self.kind, self.path.name if self.path else "loaded")
        acc = f" — {self.test_accuracy:.2%} test accuracy" if self.test_accuracy is not None else ""
        return f"Model: {name}{acc}"


class AppState(QObject):
    """Lives on the GUI thread; tabs read it and listen to its signals."""

    modelChanged = Signal()
    dataChanged = Signal()
    tfReady = Signal()
    sendToCanvas = Signal(object, int)  # (28x28 uint8 image, true label or -1)
    sendStrokesToCanvas = Signal(object, int)  # (tuple of PenStroke, true label)
    myDigitsChanged = Signal()
    # --- contract between the tabs (each emitted only through the AppState method named beside it) ---
    errorRaised = Signal(str, str)  # (title, message): report_error(); the main window shows the dialog
    statusMessage = Signal(str)  # show_status(): one line in the status bar
    tfRequested = Signal()  # request_tensorflow(): the main window starts the import once
    tfFailed = Signal(str)  # mark_tf_failed(): the import failed; a later request may try again
    drawingChanged = Signal(object)  # set_drawing(): the Draw tab's current 28x28 float32 model input, or None
    datasetImageSelected = Signal(object, str, int)  # select_image(): (28x28 uint8, split, index) shown in the Dataset tab
    openInDataset = Signal(str, int)  # open_in_dataset(): ask the Dataset tab to show (split, index)
    compareModelChanged = Signal()  # set_compare_model(): the other architecture's model, shown beside the active one
    trainingWeights = Signal(int, object)  # publish_training_weights(): (epoch, first-layer kernel copy) while training

    def __init__(self) -> None:
        super().__init__()
        self.data: Mnist | None = None
        self.model: ActiveModel | None = None
        self.default_model: ActiveModel | None = None
        self.tf_ready = False
        self.my_digits = MyDigits()  # replaced by the user's saved collection at start-up
        self.closing = False  # set when the window closes: no new background work starts after it
        self.tf_requested = False
        self.compare_model: ActiveModel | None = None
        self.drawing = None  # the Draw tab's current model input (28x28 float32) or None
        self.drawing_digit = 0  # which digit of the drawing ``drawing`` is (0: the first, or the only one)
        self.drawing_answers: tuple[int, ...] = ()  # the model's reading of every digit of the drawing, when known
        self.predictions = PredictionCache(self)  # per model and split, computed off the GUI thread

    def set_data(self, data: Mnist) -> None:
        self.data = data
        self.dataChanged.emit()

    def set_my_digits(self, coll: MyDigits) -> None:
        self.my_digits = coll
        self.myDigitsChanged.emit()

    def set_model(self, model: ActiveModel) -> None:
        if model.kind == "default":
            self.default_model = model
        self.model = model
        log.info("active model: %s", model.label())
        self.modelChanged.emit()

    def use_default(self) -> None:
        if self.default_model is not None:
            self.set_model(self.default_model)

    def mark_tf_ready(self) -> None:
        self.tf_ready = True
        self.tfReady.emit()

    # --- the tabs' contract -------------------------------------------------------------------------
    def report_error(self, title: str, message: str) -> None:
        """An error for the user: the main window shows it as a dialog (and logs it)."""
        self.errorRaised.emit(title, message)

    def show_status(self, text: str) -> None:
        self.statusMessage.emit(text)

    def request_tensorflow(self) -> None:
        """Ask for TensorFlow (imported lazily, once); ``tfReady`` follows. Safe to call any number of times."""
        if self.tf_ready or self.tf_requested or self.closing:
            return
        self.tf_requested = True
        self.tfRequested.emit()

    def mark_tf_failed(self, message: str) -> None:
        self.tf_requested = False
        self.tfFailed.emit(message)

    def notify_my_digits_changed(self) -> None:
        """The collection was edited in place (add, relabel, delete, import, refresh from disk)."""
        self.myDigitsChanged.emit()

    def refresh_my_digits(self) -> bool:
        """Pick up digits another window or command wrote; True (and ``myDigitsChanged``) if anything changed."""
        changed = self.my_digits.refresh()
        if changed:
            self.myDigitsChanged.emit()
        return changed

    def send_to_canvas(self, image: object, label: int) -> None:
        """Show a 28x28 image on the Draw tab (the main window switches to it)."""
        self.sendToCanvas.emit(image, label)

    def send_strokes_to_canvas(self, strokes: object, label: int) -> None:
        """Put a saved drawing's strokes back on the canvas, editable."""
        self.sendStrokesToCanvas.emit(strokes, label)

    def set_drawing(self, image: object, digit: int = 0, answers: Sequence[int] = ()) -> None:
        """The Draw tab's current model input; of a number, ``digit`` says which of its digits it is and
        ``answers`` (the reading of each digit, e.g. 1, 4, 8, 4) what the whole drawing reads as."""
        self.drawing = image
        self.drawing_digit, self.drawing_answers = int(digit), tuple(int(a) for a in answers)
        self.drawingChanged.emit(image)

    def select_image(self, image: object, split: str, index: int) -> None:
        self.datasetImageSelected.emit(image, split, index)

    def open_in_dataset(self, split: str, index: int) -> None:
        self.openInDataset.emit(split, index)

    def set_compare_model(self, model: ActiveModel | None) -> None:
        self.compare_model = model
        self.compareModelChanged.emit()

    def publish_training_weights(self, epoch: int, kernel: object) -> None:
        self.trainingWeights.emit(epoch, kernel)
