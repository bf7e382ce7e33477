"""The Draw tab: canvas, tools, live prediction of a digit or a whole number (throttled ~30 Hz), both
architectures' answers, the model-input view, and "teach": label the drawing (a digit key, or the whole
number typed) to add it to My digits.

Prediction is numpy only (never Keras ``predict``): every digit of the drawing in one batch per update.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSlider, QToolButton, QVBoxLayout, QWidget,
)

from mnist_gui.errors import UserError
from mnist_gui.ml.my_digits import PenStroke
from mnist_gui.ml.preprocess import bounding_box
from mnist_gui.views.canvas import RENDER_SIZE, DrawCanvas, Stroke
from mnist_gui.views.draw.items import CanvasDigit, Overlay
from mnist_gui.views.draw.model_input import ModelInputStrip
from mnist_gui.views.draw.answer_panel import AnswerPanel, Reading
from mnist_gui.views.draw.teach_row import TeachRow
from mnist_gui.views.draw.why import WhyRequest, WhyView
from mnist_gui.views.state import ActiveModel, AppState
from mnist_gui.views.theme import is_dark
from mnist_gui.views.widgets import LOW_CONFIDENCE

log = logging.getLogger(__name__)

PREDICT_INTERVAL_MS = 33  # ~30 Hz while drawing
MIN_INK_FRACTION = 0.04  # a mark smaller than this share of the canvas is "too small to read"
TEACH_BOX = 0.8  # a digit of a number is stored centred in the unit square, at most this large


def _keys(standard: QKeySequence.StandardKey | None, *extra: str) -> list[QKeySequence]:
    """A standard key's bindings on this platform plus ``extra`` ones, each once."""
    seqs = list(QKeySequence.keyBindings(standard)) if standard is not None else []
    for text in extra:
        seq = QKeySequence(text)
        if seq not in seqs:
            seqs.append(seq)
    return seqs


def _arch_name(model: ActiveModel | None) -> str:
    return str(getattr(model.predictor, "arch", "mlp")).upper() if model is not None else ""


def _pen_strokes(strokes: list[Stroke], box: tuple[float, float, float, float] | None) -> tuple[PenStroke, ...]:
    """Strokes as stored in My digits; with ``box`` (a digit of a number) moved to the middle of the unit
    square and shrunk to fit, so the digit comes back editable where a single digit is drawn."""
    if box is None:
        return tuple(PenStroke(s.array().astype(np.float32), s.width, s.eraser) for s in strokes)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    k = min(1.0, TEACH_BOX / max(box[2] - box[0], box[3] - box[1], 1e-6))
    return tuple(PenStroke(((s.array() - (cx, cy)) * k + 0.5).astype(np.float32), s.width * k, s.eraser) for s in strokes)


class DrawTab(QWidget):
    predicted = Signal(int, float)  # the selected digit and its confidence (tests and status)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.true_label = -1
        self.last_probs: np.ndarray | None = None  # the selected digit's probabilities
        self.last_latency_ms = 0.0
        self.digits: list[CanvasDigit] = []
        self.reading: Reading | None = None
        self.selected = 0
        self.raster = np.zeros((1, 1), np.float32)  # the canvas raster the current reading was made from

        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self._on_canvas_changed)
        self.canvas.resized.connect(self._on_canvas_changed)  # the saliency tint follows the new raster frame
        self.canvas.groupClicked.connect(self.select_digit)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREDICT_INTERVAL_MS)
        self._timer.timeout.connect(self.update_prediction)

        # tools
        self.pen_btn = QToolButton(text="✎ Pen", checkable=True, checked=True, toolTip="Pen (P)")
        self.eraser_btn = QToolButton(text="⌫ Eraser", checkable=True, toolTip="Eraser (E)")
        group = QButtonGroup(self)
        group.addButton(self.pen_btn)
        group.addButton(self.eraser_btn)
        self.pen_btn.toggled.connect(lambda on: setattr(self.canvas, "eraser", not on))
        self.brush = QSlider(Qt.Horizontal, minimum=2, maximum=15, value=6, toolTip="Brush size ([ and ])")
        self.brush.setFixedWidth(120)
        self.brush.valueChanged.connect(lambda v: setattr(self.canvas, "brush_width", v / 100))
        self.undo_btn = QToolButton(text="↶ Undo", toolTip="Undo stroke (Ctrl+Z)")
        self.redo_btn = QToolButton(text="↷ Redo", toolTip="Redo (Ctrl+Shift+Z / Ctrl+Y)")
        self.clear_btn = QToolButton(text="✕ Clear", toolTip="Clear (Delete)")
        self.random_btn = QPushButton("Random test digit", toolTip="Put an MNIST test image on the canvas (R)")
        self.undo_btn.clicked.connect(self.canvas.undo)
        self.redo_btn.clicked.connect(self.canvas.redo)
        self.clear_btn.clicked.connect(self.clear)
        self.random_btn.clicked.connect(self.random_test_digit)

        self.model_input = ModelInputStrip()
        self.raw_tile, self.box_tile, self.input_tile, self.why_tile = (
            self.model_input.raw_tile, self.model_input.box_tile, self.model_input.input_tile, self.model_input.why_tile)
        self.why = WhyView(self.canvas, self.why_tile, self)
        tools = QHBoxLayout()
        for w in (self.pen_btn, self.eraser_btn):
            tools.addWidget(w)
        tools.addSpacing(8)
        tools.addWidget(QLabel("Size"))
        tools.addWidget(self.brush)
        tools.addSpacing(8)
        for w in (self.undo_btn, self.redo_btn, self.clear_btn):
            tools.addWidget(w)
        tools.addSpacing(8)
        tools.addWidget(self.why.button)
        tools.addStretch(1)
        tools.addWidget(self.random_btn)

        self.teach = TeachRow()
        self.teach.digitChosen.connect(self.add_to_my_digits)
        self.teach.numberEntered.connect(self.add_number_to_my_digits)
        self.teach.numberCancelled.connect(lambda: self.canvas.setFocus(Qt.OtherFocusReason))
        self.teach_btns = self.teach.teach_btns
        self.my_count_label = self.teach.my_count_label

        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(tools)
        left.addWidget(self.teach)

        self.answer = AnswerPanel()
        self.answer.digitClicked.connect(self.select_digit)
        self.digit_label, self.conf_label, self.truth_label, self.bars = (
            self.answer.digit_label, self.answer.conf_label, self.answer.truth_label, self.answer.bars)

        right = QVBoxLayout()
        right.addWidget(self.answer, 1)
        right.addWidget(self.model_input)

        # The content scrolls when the window is smaller than it (a 1024×600 screen) instead of forcing a
        # larger window; NoFocus keeps keyboard focus, and so the shortcuts below, on the tab's widgets.
        body = QWidget()
        layout = QHBoxLayout(body)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.NoFrame, focusPolicy=Qt.NoFocus)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        # One shortcut per action with all its keys: README's plus the platform's own. Two shortcuts on one key
        # are ambiguous and neither fires. The number field takes only the keys that type and edit the number
        # (digits, Backspace, Enter, Esc): the others stay these shortcuts (TeachRow).
        for keys, slot in ((_keys(QKeySequence.Undo, "Ctrl+Z"), self.canvas.undo),
                           (_keys(QKeySequence.Redo, "Ctrl+Shift+Z", "Ctrl+Y"), self.canvas.redo),
                           (_keys(QKeySequence.Delete, "Del", "Backspace"), self.clear), (_keys(None, "R"), self.random_test_digit),
                           (_keys(None, "P"), self.pen_btn.click), (_keys(None, "E"), self.eraser_btn.click),
                           (_keys(None, "W"), self.why.button.toggle),
                           (_keys(None, "["), lambda: self.brush.setValue(self.brush.value() - 1)),
                           (_keys(None, "]"), lambda: self.brush.setValue(self.brush.value() + 1)),
                           *((_keys(None, str(d)), lambda d=d: self._digit_key(d)) for d in range(10))):
            # Window context on this tab: active whenever the Draw tab is shown (Qt ignores shortcuts of hidden
            # widgets), wherever the focus is — the tab bar at start-up, a tool button after a click.
            sc = QShortcut(self)
            sc.setKeys(keys)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)

        # A model change is followed by a change of the model compared with (MLP <-> CNN), which updates at once:
        # the model's own update waits for the timer, so the two make one update, not two in one event.
        state.modelChanged.connect(self._on_canvas_changed)
        state.compareModelChanged.connect(self.update_prediction)
        state.sendToCanvas.connect(self.show_digit)
        state.sendStrokesToCanvas.connect(self.show_strokes)
        state.myDigitsChanged.connect(self._update_my_count)
        self._update_buttons()
        self._update_my_count()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():  # shown as the current tab (not un-minimised): keys go to the canvas
            self.canvas.setFocus(Qt.OtherFocusReason)
        self.why.flush()

    def _status(self, text: str) -> None:
        self.state.show_status(text)

    # --- actions ------------------------------------------------------------------------------------
    def clear(self) -> None:
        self.true_label = -1
        self.teach.number_edit.clear()  # a number typed for the drawing goes with it
        self.canvas.clear()

    def random_test_digit(self) -> None:
        data = self.state.data
        if data is None:
            return
        i = int(np.random.default_rng().integers(len(data.x_test)))
        self.show_digit(data.x_test[i], int(data.y_test[i]))

    def show_digit(self, image: np.ndarray, label: int = -1) -> None:
        """Put an image (uint8 0-255 or float 0-1, ink bright) on the canvas; ``label`` is its truth.
        An image of a number (an opened photo of "1984") is split into its digits."""
        a = np.asarray(image, dtype=np.float32)
        if a.max() > 1.0:
            a = a / 255.0
        self.canvas.set_image(a)
        self.true_label = label  # after set_image: its change signal resets nothing here
        self.update_prediction()

    def show_strokes(self, strokes: tuple[PenStroke, ...], label: int = -1) -> None:
        """Put saved pen strokes back on the canvas, editable, with ``label`` as the truth."""
        self.canvas.set_strokes([Stroke(width=s.width, eraser=s.eraser, points=[QPointF(float(x), float(y)) for x, y in s.points])
                                 for s in strokes])
        self.true_label = label
        self.update_prediction()

    def _digit_key(self, d: int) -> None:
        """A digit key: labels a single digit; with a number drawn, starts typing it in the number field."""
        if len(self.digits) > 1:
            self.teach.number_edit.setFocus(Qt.ShortcutFocusReason)
            self.teach.number_edit.insert(str(d))
        else:
            self.add_to_my_digits(d)

    def add_to_my_digits(self, label: int) -> bool:
        """Store the drawing (strokes + the normalised 28×28 the model sees) in My digits as ``label``."""
        x = self.canvas.to_mnist()
        if not x.any():  # normalize_digit gives all zeros for a blank canvas
            self._status("Nothing to add: draw a digit first, then press its number key")
            return False
        if not self._store([(x, label, _pen_strokes(self.canvas.strokes, None))]):
            return False
        coll = self.state.my_digits
        n_label = int((coll.y == label).sum())
        self._status(f"Added as {label} — My digits: {len(coll)} ({n_label} × {label}). Undo (Ctrl+Z) brings the drawing back.")
        self.clear()  # ready for the next one; undoable
        return True

    def add_number_to_my_digits(self, text: str) -> bool:
        """Store each digit of the drawn number in My digits with its label from ``text`` (e.g. "2026")."""
        digits = self.canvas.digit_inputs()
        text = text.strip()
        if len(digits) < 2:
            if len(digits) == 1 and len(text) == 1 and text.isdigit():
                return self.add_to_my_digits(int(text))
            self._status("Nothing to add: draw a number first, then type it")
            return False
        if len(text) != len(digits) or not text.isdigit():
            self._status(f"The drawing has {len(digits)} digits: type exactly {len(digits)} digits, then Enter")
            return False
        strokes = self.canvas.strokes
        items = []
        for d, ch in zip(digits, text):
            own = [strokes[i] for i in d.strokes if i < len(strokes)]
            items.append((d.x, int(ch), _pen_strokes(own, d.box) if own else ()))
        if not self._store(items):
            return False
        self.teach.number_edit.clear()
        self._status(f"Added {text} as {len(items)} digits — My digits: {len(self.state.my_digits)}. Undo (Ctrl+Z) brings the drawing back.")
        self.clear()
        return True

    def _store(self, items: list[tuple[np.ndarray, int, tuple[PenStroke, ...]]]) -> bool:
        coll = self.state.my_digits
        added = 0
        try:
            for x, label, strokes in items:
                coll.add(x, label, strokes)
                added += 1
        except (UserError, OSError) as exc:
            self.state.report_error("The digit could not be saved",
                                    f"{getattr(exc, 'strerror', None) or exc}\n\nYour drawing is still on the canvas.")
            return False
        finally:
            if added:
                self.state.notify_my_digits_changed()
        return True

    def _update_my_count(self) -> None:
        coll = self.state.my_digits
        self.teach.set_counts(np.bincount(coll.y, minlength=10) if len(coll) else np.zeros(10, int))

    def _on_canvas_changed(self) -> None:
        if not self._timer.isActive():
            self._timer.start()
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.undo_btn.setEnabled(self.canvas.can_undo())
        self.redo_btn.setEnabled(self.canvas.can_redo())
        self.clear_btn.setEnabled(not self.canvas.is_empty())

    # --- prediction -----------------------------------------------------------------------------------
    def select_digit(self, i: int) -> None:
        """Show digit ``i`` of the number: its scores, its model input, its box highlighted."""
        if self.reading is None or not 0 <= i < len(self.digits):
            return
        self.selected = i
        self._show()

    def _blank(self, text: str, mark: str = "–") -> None:
        dark = is_dark()
        self.last_probs, self.reading, self.digits = None, None, []
        self.answer.show_blank(text, mark)
        self.model_input.blank(dark)
        self.canvas.set_overlay([])
        self.why.clear()
        self.teach.set_digit_count(1)
        self.state.set_drawing(None)

    def update_prediction(self) -> None:
        """Split the drawing into digits and run the numpy predictors on all of them in one batch."""
        self._timer.stop()  # a pending update is this one
        t0 = time.perf_counter()
        raw = self.raster = self.canvas.render_array()
        self.model_input.show_drawing(raw, is_dark())
        model = self.state.model
        if model is None:
            self._blank("Loading the model…")
            return
        digits = self.canvas.digit_inputs(raw)
        bbox = bounding_box(raw)
        if not digits and bbox is None:
            self._blank("Draw a digit — or a number — to see what the network reads")
            return
        small = bbox is not None and max(bbox[1] - bbox[0], bbox[3] - bbox[2]) / RENDER_SIZE < MIN_INK_FRACTION
        if not digits or (len(digits) == 1 and self.canvas.strokes and small):  # ink the segmenter dropped is too small too
            self._blank("Too small to read — draw the digit larger", "?")
            return
        x = np.stack([d.x for d in digits])
        probs = model.predictor.predict(x)
        compare = self.state.compare_model
        cprobs = compare.predictor.predict(x) if compare is not None else None
        self.last_latency_ms = (time.perf_counter() - t0) * 1000
        self.digits = digits
        self.reading = Reading(probs, cprobs, _arch_name(model), _arch_name(compare), tuple(d.looks_like_two for d in digits))
        self.selected = min(self.selected, len(digits) - 1) if len(digits) > 1 else 0
        self.teach.set_digit_count(len(digits))
        self._show(raw if len(digits) == 1 else None)

    def _show(self, raw: np.ndarray | None = None) -> None:
        """Display the current reading with digit ``self.selected`` in detail."""
        r, i = self.reading, self.selected
        assert r is not None
        dark = is_dark()
        x = self.digits[i].x
        self.last_probs = r.probs[i]
        self.answer.show_reading(r, i, self.true_label)
        self.model_input.show_input(x, raw, dark, i, len(self.digits))
        model = self.state.model
        self.why.request(WhyRequest(model.predictor if model else None, tuple(self.digits), tuple(int(a) for a in r.probs.argmax(1)),
                                    i, self.raster, dark))
        conf = r.probs.max(1)
        self.canvas.set_overlay([Overlay(d.box, f"{int(p.argmax())} {c:.0%}", bool(c < LOW_CONFIDENCE), j == i)
                                 for j, (d, p, c) in enumerate(zip(self.digits, r.probs, conf))] if len(self.digits) > 1 else [])
        self.state.set_drawing(x, i, r.probs.argmax(1))  # which digit of a number, and what each reads as
        self.predicted.emit(int(r.probs[i].argmax()), float(conf[i]))

    def set_dark(self, dark: bool) -> None:
        self.canvas.set_dark(dark)
        self.update_prediction()
