"""The Train tab (placeholder until built)."""
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class TrainTab(QWidget):
    message = Signal(str)

    def __init__(self, state, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("Train"))

    def set_dark(self, dark):
        pass

    def shutdown(self):
        pass

    def show_loaded_history(self, meta):
        pass
