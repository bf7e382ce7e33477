"""The confusion-matrix page: the active model on the test split, a clickable 10×10 table with per-class
accuracy; a click asks the tab to show exactly that cell's images."""

from __future__ import annotations


import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

CONFUSION_TEXT = ("Confusion matrix of the active model on {n} test images (rows: true, columns: predicted). "
                  "Click a cell to see those images.")


class ConfusionPanel(QWidget):
    """``cellChosen(true, predicted)`` when a count cell (not the accuracy column) is clicked."""

    cellChosen = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(CONFUSION_TEXT.format(n="the"))  # the count once the data has loaded
        self.label.setWordWrap(True)
        self.table = QTableWidget(10, 11)
        self.table.setHorizontalHeaderLabels([str(d) for d in range(10)] + ["acc."])
        self.table.setVerticalHeaderLabels([str(d) for d in range(10)])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.cellClicked.connect(self._clicked)
        self.overall_label = QLabel("")
        v = QVBoxLayout(self)
        v.addWidget(self.label)
        v.addWidget(self.table, 1)
        v.addWidget(self.overall_label)

    def set_test_count(self, n: int) -> None:
        self.label.setText(CONFUSION_TEXT.format(n=f"the {n:,}"))

    def _clicked(self, row: int, column: int) -> None:
        if column <= 9:
            self.cellChosen.emit(row, column)

    def show_evaluating(self) -> None:
        self.table.clearContents()  # the previous model's counts: not this one's
        self.overall_label.setText("Evaluating the active model on the test set…")

    def show_failed(self, message: str) -> None:
        self.overall_label.setText(f"Could not evaluate the active model on the test set: {message}")

    def show_matrix(self, cm: np.ndarray) -> None:
        peak = max(1, int(cm.max()))
        off_peak = max(1, int((cm - np.diag(np.diag(cm))).max()))
        for t in range(10):
            for p in range(10):
                v = int(cm[t, p])
                item = QTableWidgetItem(str(v))
                item.setTextAlignment(Qt.AlignCenter)
                if t == p:  # right answers blue, errors red: the strength says how many
                    item.setBackground(QBrush(QColor(38, 99, 221, 60 + int(160 * v / peak))))
                elif v:
                    item.setBackground(QBrush(QColor(230, 80, 60, 40 + int(180 * v / off_peak))))
                item.setToolTip(f"true {t}, predicted {p}: {v} images — click to show them")
                self.table.setItem(t, p, item)
            row_total = int(cm[t].sum())
            acc = QTableWidgetItem(f"{cm[t, t] / row_total:.1%}" if row_total else "–")
            acc.setTextAlignment(Qt.AlignCenter)
            self.table.setItem(t, 10, acc)
        total, right = int(cm.sum()), int(np.trace(cm))
        self.overall_label.setText(f"Test accuracy {right / total:.2%} ({right:,} of {total:,}); "
                                   f"{total - right:,} misclassified")
