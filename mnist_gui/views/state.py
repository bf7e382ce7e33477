"""Application state shared by the tabs: the dataset and the active model, with change signals."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from mnist_gui.ml.data import Mnist
from mnist_gui.ml.inference import NumpyPredictor
from mnist_gui.ml.my_digits import MyDigits

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

    def __init__(self) -> None:
        super().__init__()
        self.data: Mnist | None = None
        self.model: ActiveModel | None = None
        self.default_model: ActiveModel | None = None
        self.tf_ready = False
        self.my_digits = MyDigits()  # replaced by the user's saved collection at start-up
        self.closing = False  # set when the window closes: no new background work starts after it

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
