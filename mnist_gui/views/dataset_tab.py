"""The Dataset tab (placeholder until built)."""
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class DatasetTab(QWidget):
    def __init__(self, state, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("Dataset"))

    def set_dark(self, dark):
        pass
