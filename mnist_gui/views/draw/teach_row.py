"""The teach row: "this is a 7" buttons for one digit, a number field for several (type 2026, Enter).

The number field keeps only the keys that type or edit the number: digits, Backspace, Enter and moving the
cursor; Esc clears the typed number and gives the keys back to the drawing (while a training runs, Esc stops it,
as on every tab). Every other key with a Draw-tab shortcut (E, P, W, R, [ ], Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y,
Delete) still reaches the shortcut: a line edit would otherwise take it (Ctrl+Z undoing the typed text, not the
stroke) or drop it (its validator throws letters away).
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

log = logging.getLogger(__name__)

# Esc is not among them: while a training runs, Esc stops it from every tab; otherwise it reaches the field.
_EDIT_KEYS = frozenset({Qt.Key_Backspace, Qt.Key_Return, Qt.Key_Enter, Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down,
                        Qt.Key_Home, Qt.Key_End})


def edits_number(event: QKeyEvent) -> bool:
    """A key the number field keeps: a digit or an editing key, Shift (a layout's digits, selecting) or the keypad
    allowed; a chord with Ctrl, Alt or Meta is the window's."""
    if event.modifiers() & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier):
        return False
    return Qt.Key_0 <= event.key() <= Qt.Key_9 or event.key() in _EDIT_KEYS


class TeachRow(QGroupBox):
    """``digitChosen(d)``: a digit button; ``numberEntered(text)``: Enter in the number field; ``numberCancelled``:
    Esc in it (the typed number is cleared; the owner gives the focus back to the drawing)."""

    digitChosen = Signal(int)
    numberEntered = Signal(str)
    numberCancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Teach it your handwriting", parent)
        row = QHBoxLayout(self)
        self.lead = QLabel("This is a")
        row.addWidget(self.lead)
        self.teach_btns: list[QToolButton] = []
        for d in range(10):
            b = QToolButton(text=str(d))
            b.setMinimumWidth(28)
            b.clicked.connect(lambda checked=False, d=d: self.digitChosen.emit(d))
            row.addWidget(b)
            self.teach_btns.append(b)
        self.number_edit = QLineEdit(objectName="teachNumber")
        self.number_edit.setPlaceholderText("type it, e.g. 2026 ⏎")
        self.number_edit.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9]{0,40}"), self.number_edit))
        self.number_edit.setMaximumWidth(220)
        self.number_edit.returnPressed.connect(lambda: self.numberEntered.emit(self.number_edit.text()))
        self.number_edit.installEventFilter(self)
        row.addWidget(self.number_edit)
        row.addStretch(1)
        self.my_count_label = QLabel("")
        row.addWidget(self.my_count_label)
        self.set_digit_count(1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.number_edit:
            if event.type() == QEvent.ShortcutOverride and not edits_number(event):
                event.ignore()  # not overridden: the window's shortcut for the key fires (a key without one still types)
                return True
            if event.type() == QEvent.KeyPress and event.key() == Qt.Key_Escape:
                self.number_edit.clear()
                self.numberCancelled.emit()
                return True
        return super().eventFilter(watched, event)

    def set_digit_count(self, n: int) -> None:
        """One digit (or none): the ten buttons; several: the number field, since a number is typed whole."""
        several = n > 1
        for b in self.teach_btns:
            b.setVisible(not several)
        self.number_edit.setVisible(several)
        self.lead.setText(f"These {n} digits are" if several else "This is a")
        if several:
            self.number_edit.setToolTip(f"Type the {n} digits you drew and press Enter: each is added to My digits with its label")
        elif self.number_edit.hasFocus():
            self.number_edit.clearFocus()

    def set_counts(self, counts: np.ndarray) -> None:
        total = int(counts.sum())
        self.my_count_label.setText(f"My digits: {total}")
        self.my_count_label.setToolTip("Per digit: " + ", ".join(f"{d}: {int(c)}" for d, c in enumerate(counts)) +
                                       "\nBrowse them in the Dataset tab; fine-tune on them in the Train tab.")
        for d, b in enumerate(self.teach_btns):
            b.setToolTip(f"Add this drawing to My digits as a {d} (key {d}) — {int(counts[d])} so far")
