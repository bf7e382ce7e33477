"""The Draw tab's answer: the number read (large), each digit's confidence, the other architecture's answer
beside it with a note when the two disagree, and the selected digit's ten probability bars."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QButtonGroup, QGroupBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from mnist_gui.views.theme import AMBER as AMBER_RGB, AMBER_TEXT, hex_color, is_dark
from mnist_gui.views.widgets import LOW_CONFIDENCE, ProbabilityBars

log = logging.getLogger(__name__)

AMBER = hex_color(AMBER_RGB)  # the canvas's unsure boxes; text uses amber(dark), readable on either theme's buttons


def amber(dark: bool) -> str:
    """The amber for text on the current theme (the canvas's #c98a00 is too faint on grey buttons)."""
    return hex_color(AMBER_TEXT[dark])


def confident(conf: float) -> str:
    """Both models' confidence in one digit, in one form: '74% confident'."""
    return f"{conf:.0%} confident"


@dataclass(frozen=True)
class Reading:
    """What the models read on the canvas: per digit (left to right) the active model's probabilities,
    the compare model's (or None), and the segmenter's flag for a group that looks like two digits."""

    probs: np.ndarray  # (N, 10)
    compare: np.ndarray | None  # (N, 10) or None
    model_name: str
    compare_name: str
    two: tuple[bool, ...]

    @property
    def number(self) -> str:
        return "".join(str(int(d)) for d in self.probs.argmax(1))

    @property
    def compare_number(self) -> str | None:
        return None if self.compare is None else "".join(str(int(d)) for d in self.compare.argmax(1))


def compare_caption(name: str, probs: np.ndarray) -> str:
    """The compare model's caption: which model, then its confidence as the active model's is shown —
    'CNN · for comparison\n95% confident' — or, for a number, each digit's left to right: '…\nper digit: 92% 95% 93%'."""
    if len(probs) == 1:
        return f"{name} · for comparison\n{confident(float(probs[0].max()))}"
    return f"{name} · for comparison\nper digit: " + " ".join(f"{float(p.max()):.0%}" for p in probs)


def _big_font(base: QFont, points: int) -> QFont:
    f = QFont(base)
    f.setPointSize(points)
    f.setBold(True)
    return f


class AnswerPanel(QGroupBox):
    """``digitClicked(i)``: a digit of the number was clicked (select it)."""

    digitClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Prediction", parent)
        self.digit_label = QLabel("–", objectName="answerNumber")
        self.digit_label.setFont(_big_font(self.font(), 64))
        self.digit_label.setAlignment(Qt.AlignCenter)
        self.digit_label.setMinimumWidth(120)
        self.model_caption = QLabel("")
        self.model_caption.setAlignment(Qt.AlignCenter)
        # the other architecture's answer, smaller, beside the active one (issue 12)
        self.compare_label = QLabel("", objectName="compareAnswer")
        self.compare_label.setFont(_big_font(self.font(), 30))
        self.compare_label.setAlignment(Qt.AlignCenter)
        self.compare_caption = QLabel("")
        self.compare_caption.setAlignment(Qt.AlignCenter)
        self.compare_caption.setWordWrap(True)  # a long number's confidences wrap
        self.disagree_label = QLabel("", objectName="disagreeNote")
        self.disagree_label.setAlignment(Qt.AlignCenter)
        self.disagree_label.setWordWrap(True)
        self._amber_digit = False
        self.conf_label = QLabel("Draw a digit to see what the network reads")
        self.conf_label.setAlignment(Qt.AlignCenter)
        self.conf_label.setWordWrap(True)
        self.truth_label = QLabel("")
        self.truth_label.setAlignment(Qt.AlignCenter)
        self.bars = ProbabilityBars()
        self.digit_row = QHBoxLayout()
        self.digit_row.setSpacing(4)
        self.digit_btns: list[QToolButton] = []
        self._btn_group = QButtonGroup(self)
        self._btn_group.idClicked.connect(self.digitClicked)

        # the active model's column holds its confidence and the true label; the compare model's its own
        main_col, cmp_col = QVBoxLayout(), QVBoxLayout()
        self.main_col, self.cmp_col = main_col, cmp_col
        main_col.addWidget(self.digit_label)
        main_col.addWidget(self.model_caption)
        main_col.addWidget(self.conf_label)
        main_col.addWidget(self.truth_label)
        cmp_col.addStretch(1)
        cmp_col.addWidget(self.compare_label)
        cmp_col.addWidget(self.compare_caption)
        cmp_col.addStretch(1)
        answers = self._answers = QHBoxLayout()
        answers.addLayout(main_col, 3)
        answers.addLayout(cmp_col, 2)
        v = QVBoxLayout(self)
        v.addLayout(answers)
        v.addWidget(self.disagree_label)
        self.digit_row.addStretch(1)
        self.digit_row.addStretch(1)
        v.addLayout(self.digit_row)
        v.addWidget(self.bars, 1)
        self.disagree_label.hide()
        self._restyle()

    # --- states ---------------------------------------------------------------------------------------
    def show_blank(self, text: str, mark: str = "–") -> None:
        self.digit_label.setText(mark)
        self._amber_digit = False
        self._restyle()
        self.conf_label.setText(text)
        self.truth_label.setText("")
        self.truth_label.hide()
        self.model_caption.setText("")
        self.compare_label.setText("")
        self.compare_caption.setText("")
        self._answers.setStretch(1, 0)  # no compare answer: the message has the panel's width
        self.disagree_label.hide()
        self._set_digit_buttons([], -1)
        self.bars.set_probs(None)

    def show_reading(self, r: Reading, selected: int, true_label: int = -1) -> None:
        n = len(r.probs)
        number, sel = r.number, r.probs[selected]
        digit, conf = int(sel.argmax()), float(sel.max())
        low = r.probs.max(1) < LOW_CONFIDENCE
        self.digit_label.setText(number)
        self.digit_label.setFont(_big_font(self.font(), 64 if n <= 3 else max(30, 64 - 8 * (n - 3))))
        self._amber_digit = bool(low.any() and n == 1)
        self._restyle()
        self.model_caption.setText(f"{r.model_name} · active model" if r.compare is not None else r.model_name)
        self._show_compare(r, n)
        if n == 1:
            if conf < LOW_CONFIDENCE:
                second = int(np.argsort(sel)[-2])
                self.conf_label.setText(f"Not sure: {confident(conf)} — or maybe {second} ({sel[second]:.0%})")
            else:
                self.conf_label.setText(confident(conf))
        else:
            notes = [f"Digit {selected + 1} of {n}: {digit} at {conf:.0%}"]
            if low.any():
                notes.append(f"{int(low.sum())} not sure (amber)")
            if any(r.two):
                which = ", ".join(str(i + 1) for i, t in enumerate(r.two) if t)
                notes.append(f"digit {which} looks like two digits touching — leave a gap between them")
            self.conf_label.setText(" · ".join(notes))
        if any(r.two) and n == 1:
            self.conf_label.setText(self.conf_label.text() + " — this looks like two digits touching: leave a gap")
        self._set_digit_buttons([(str(int(p.argmax())), float(p.max()), bool(lo), t) for p, lo, t in zip(r.probs, low, r.two)]
                                if n > 1 else [], selected)
        if true_label >= 0 and n == 1:
            self.truth_label.setText(f"True label: {true_label} {'✓ correct' if digit == true_label else '✗ wrong'}")
        else:
            self.truth_label.setText("")
        self.truth_label.setVisible(bool(self.truth_label.text()))  # no empty line under a number's note
        self.bars.set_probs(sel, true_label if n == 1 else -1)

    def _show_compare(self, r: Reading, n: int) -> None:
        other = r.compare_number
        self._answers.setStretch(1, 0 if other is None else 2)  # an empty compare column takes no width
        if other is None:
            self.compare_label.setText("")
            self.compare_caption.setText("")
            self.disagree_label.hide()
            return
        assert r.compare is not None
        self.compare_label.setText(other)
        self.compare_caption.setText(compare_caption(r.compare_name, r.compare))
        self.compare_label.setToolTip(f"The {r.compare_name}'s answer, for comparison; the {r.model_name} is the active model")
        if other != r.number:
            self.disagree_label.setText(f"The two models disagree: {r.model_name} reads {r.number}, {r.compare_name} reads {other}")
            self.disagree_label.show()
        else:
            self.disagree_label.hide()

    def _set_digit_buttons(self, digits: list[tuple[str, float, bool, bool]], selected: int) -> None:
        """One checkable button per digit of a number: its answer and confidence (amber and '?' when unsure)."""
        while len(self.digit_btns) < len(digits):
            b = QToolButton(checkable=True)
            b.setToolButtonStyle(Qt.ToolButtonTextOnly)
            b.setMinimumSize(48, 44)
            self._btn_group.addButton(b, len(self.digit_btns))
            self.digit_row.insertWidget(len(self.digit_btns) + 1, b)  # between the two stretches
            self.digit_btns.append(b)
        for i, b in enumerate(self.digit_btns):
            if i >= len(digits):
                b.hide()
                continue
            d, conf, low, two = digits[i]
            b.setText(f"{d}{'?' if low else ''}\n{conf:.0%}")
            b.setProperty("low", low)
            b.setToolTip(f"Digit {i + 1}: {d} at {conf:.0%}" + (" — not sure" if low else "") +
                         (" — looks like two digits touching" if two else "") + "\nClick to see its scores and model input")
            b.setChecked(i == selected)
            b.show()
        self._restyle()

    # --- amber text, readable in either theme -----------------------------------------------------------
    def _restyle(self) -> None:
        """Amber text in the current theme's shade: the unsure single digit, the note, the unsure buttons
        (a selected button keeps the highlighted text colour on its highlight)."""
        a = amber(is_dark())
        self.digit_label.setStyleSheet(f"color: {a};" if self._amber_digit else "")
        self.disagree_label.setStyleSheet(f"color: {a}; font-weight: bold;")
        for b in self.digit_btns:
            color = f"color: {a}; " if b.property("low") else ""
            b.setStyleSheet(f"QToolButton {{ {color}font-weight: bold; }} "
                            "QToolButton:checked { color: palette(highlighted-text); }")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange and hasattr(self, "bars"):  # the theme changed (after __init__)
            self._restyle()
