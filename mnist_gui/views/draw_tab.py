"""The Draw tab: canvas, tools, live prediction (throttled ~30 Hz), the model-input view, and "teach":
label the drawing with a digit key to add it to My digits."""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSlider, QToolButton, QVBoxLayout, QWidget,
)

from mnist_gui.errors import UserError
from mnist_gui.ml.my_digits import PenStroke
from mnist_gui.ml.preprocess import center_by_mass, fit_box
from mnist_gui.views.canvas import DrawCanvas, Stroke
from mnist_gui.views.state import AppState
from mnist_gui.views.theme import is_dark
from mnist_gui.views.widgets import LOW_CONFIDENCE, ImageTile, ProbabilityBars

log = logging.getLogger(__name__)

PREDICT_INTERVAL_MS = 33  # ~30 Hz while drawing
MIN_INK_FRACTION = 0.04  # a mark smaller than this share of the canvas is "too small to read"


def _keys(standard: QKeySequence.StandardKey | None, *extra: str) -> list[QKeySequence]:
    """A standard key's bindings on this platform plus ``extra`` ones, each once."""
    seqs = list(QKeySequence.keyBindings(standard)) if standard is not None else []
    for text in extra:
        seq = QKeySequence(text)
        if seq not in seqs:
            seqs.append(seq)
    return seqs


class DrawTab(QWidget):
    predicted = Signal(int, float)  # digit, confidence (tests and status)
    message = Signal(str)  # for the status bar

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.true_label = -1
        self.last_probs: np.ndarray | None = None
        self.last_latency_ms = 0.0

        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self._on_canvas_changed)
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

        tools = QHBoxLayout()
        for w in (self.pen_btn, self.eraser_btn):
            tools.addWidget(w)
        tools.addSpacing(8)
        tools.addWidget(QLabel("Size"))
        tools.addWidget(self.brush)
        tools.addSpacing(8)
        for w in (self.undo_btn, self.redo_btn, self.clear_btn):
            tools.addWidget(w)
        tools.addStretch(1)
        tools.addWidget(self.random_btn)

        # teach: "this is a 7" adds the drawing to My digits
        teach_box = QGroupBox("Teach it your handwriting")
        teach = QHBoxLayout(teach_box)
        teach.addWidget(QLabel("This is a"))
        self.teach_btns: list[QToolButton] = []
        for d in range(10):
            b = QToolButton(text=str(d))
            b.setMinimumWidth(28)
            b.clicked.connect(lambda checked=False, d=d: self.add_to_my_digits(d))
            teach.addWidget(b)
            self.teach_btns.append(b)
        teach.addStretch(1)
        self.my_count_label = QLabel("")
        teach.addWidget(self.my_count_label)

        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addLayout(tools)
        left.addWidget(teach_box)

        # prediction panel
        self.digit_label = QLabel("–")
        f = QFont(self.font())
        f.setPointSize(64)
        f.setBold(True)
        self.digit_label.setFont(f)
        self.digit_label.setAlignment(Qt.AlignCenter)
        self.digit_label.setMinimumWidth(120)
        self.conf_label = QLabel("Draw a digit to see what the network reads")
        self.conf_label.setAlignment(Qt.AlignCenter)
        self.conf_label.setWordWrap(True)
        self.truth_label = QLabel("")
        self.truth_label.setAlignment(Qt.AlignCenter)
        self.bars = ProbabilityBars()

        pred_box = QGroupBox("Prediction")
        pv = QVBoxLayout(pred_box)
        pv.addWidget(self.digit_label)
        pv.addWidget(self.conf_label)
        pv.addWidget(self.truth_label)
        pv.addWidget(self.bars, 1)

        self.raw_tile, self.box_tile, self.input_tile = ImageTile("Your drawing"), ImageTile("Cropped and fitted into 20×20"), ImageTile("The 28×28 the model sees")
        io_box = QGroupBox("What the model sees")
        iv = QHBoxLayout(io_box)
        for tile, caption in ((self.raw_tile, "drawing"), (self.box_tile, "fit 20×20"), (self.input_tile, "28×28 input")):
            col = QVBoxLayout()
            col.addWidget(tile, 0, Qt.AlignCenter)
            cap = QLabel(caption)
            cap.setAlignment(Qt.AlignCenter)
            col.addWidget(cap)
            iv.addLayout(col)
            if tile is not self.input_tile:
                arrow = QLabel("→")
                arrow.setAlignment(Qt.AlignCenter)
                iv.addWidget(arrow)

        right = QVBoxLayout()
        right.addWidget(pred_box, 1)
        right.addWidget(io_box)

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
        # are ambiguous and neither fires (QKeySequence.Redo alone was Ctrl+Y, the same as "Ctrl+Y" beside it,
        # and Ctrl+Shift+Z was not bound at all).
        for keys, slot in ((_keys(QKeySequence.Undo, "Ctrl+Z"), self.canvas.undo),
                           (_keys(QKeySequence.Redo, "Ctrl+Shift+Z", "Ctrl+Y"), self.canvas.redo),
                           (_keys(QKeySequence.Delete, "Del", "Backspace"), self.clear), (_keys(None, "R"), self.random_test_digit),
                           (_keys(None, "P"), self.pen_btn.click), (_keys(None, "E"), self.eraser_btn.click),
                           (_keys(None, "["), lambda: self.brush.setValue(self.brush.value() - 1)),
                           (_keys(None, "]"), lambda: self.brush.setValue(self.brush.value() + 1)),
                           *((_keys(None, str(d)), lambda d=d: self.add_to_my_digits(d)) for d in range(10))):
            # Window context on this tab: active whenever the Draw tab is shown (Qt ignores shortcuts of hidden
            # widgets), wherever the focus is — the tab bar at start-up, a tool button after a click.
            sc = QShortcut(self)
            sc.setKeys(keys)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)

        state.modelChanged.connect(self.update_prediction)
        state.sendToCanvas.connect(self.show_digit)
        state.sendStrokesToCanvas.connect(self.show_strokes)
        state.myDigitsChanged.connect(self._update_my_count)
        self._update_buttons()
        self._update_my_count()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():  # shown as the current tab (not un-minimised): keys go to the canvas
            self.canvas.setFocus(Qt.OtherFocusReason)

    # --- actions ------------------------------------------------------------------------------------
    def clear(self) -> None:
        self.true_label = -1
        self.canvas.clear()

    def random_test_digit(self) -> None:
        data = self.state.data
        if data is None:
            return
        i = int(np.random.default_rng().integers(len(data.x_test)))
        self.show_digit(data.x_test[i], int(data.y_test[i]))

    def show_digit(self, image: np.ndarray, label: int = -1) -> None:
        """Put an image (uint8 0-255 or float 0-1, ink bright) on the canvas; ``label`` is its truth."""
        a = np.asarray(image, dtype=np.float32)
        if a.max() > 1.0:
            a = a / 255.0
        self.canvas.set_image(a)
        self.true_label = label  # after set_image: its change signal resets nothing here
        self.update_prediction()

    def add_to_my_digits(self, label: int) -> bool:
        """Store the drawing (strokes + the normalised 28×28 the model sees) in My digits as ``label``."""
        x = self.canvas.to_mnist()
        if not x.any():  # normalize_digit gives all zeros for a blank canvas
            self.message.emit("Nothing to add: draw a digit first, then press its number key")
            return False
        strokes = tuple(PenStroke(np.array([(q.x(), q.y()) for q in s.points], np.float32), s.width, s.eraser)
                        for s in self.canvas.strokes)
        coll = self.state.my_digits
        try:
            coll.add(x, label, strokes)
        except (UserError, OSError) as exc:
            win = self.window()
            if hasattr(win, "error"):
                win.error("The digit could not be saved", f"{getattr(exc, 'strerror', None) or exc}\n\nYour drawing is still on the canvas.")
            return False
        self.state.myDigitsChanged.emit()
        n_label = int((coll.y == label).sum())
        self.message.emit(f"Added as {label} — My digits: {len(coll)} ({n_label} × {label}). Undo (Ctrl+Z) brings the drawing back.")
        self.clear()  # ready for the next one; undoable
        return True

    def _update_my_count(self) -> None:
        coll = self.state.my_digits
        counts = np.bincount(coll.y, minlength=10) if len(coll) else np.zeros(10, int)
        self.my_count_label.setText(f"My digits: {len(coll)}")
        self.my_count_label.setToolTip("Per digit: " + ", ".join(f"{d}: {int(c)}" for d, c in enumerate(counts)) +
                                       "\nBrowse them in the Dataset tab; fine-tune on them in the Train tab.")
        for d, b in enumerate(self.teach_btns):
            b.setToolTip(f"Add this drawing to My digits as a {d} (key {d}) — {int(counts[d])} so far")

    def show_strokes(self, strokes: tuple[PenStroke, ...], label: int = -1) -> None:
        """Put saved pen strokes back on the canvas, editable, with ``label`` as the truth."""
        self.canvas.set_strokes([Stroke(width=s.width, eraser=s.eraser, points=[QPointF(float(x), float(y)) for x, y in s.points])
                                 for s in strokes])
        self.true_label = label
        self.update_prediction()

    def _on_canvas_changed(self) -> None:
        if not self._timer.isActive():
            self._timer.start()
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.undo_btn.setEnabled(self.canvas.can_undo())
        self.redo_btn.setEnabled(self.canvas.can_redo())
        self.clear_btn.setEnabled(not self.canvas.is_empty())

    def update_prediction(self) -> None:
        """Normalise the drawing and run the numpy predictor (never Keras ``predict``)."""
        t0 = time.perf_counter()
        raw = self.canvas.render_array()
        box = fit_box(raw)
        dark = is_dark()
        self.raw_tile.show_array(raw, dark)
        model = self.state.model
        if box is None or model is None:
            self.last_probs = None
            self.digit_label.setText("–")
            self.conf_label.setText("Draw a digit to see what the network reads" if model else "Loading the model…")
            self.truth_label.setText("")
            self.bars.set_probs(None)
            self.box_tile.show_array(None, dark)
            self.input_tile.show_array(None, dark)
            return
        if self.canvas.strokes and self._ink_extent(raw) < MIN_INK_FRACTION:
            self.last_probs = None
            self.digit_label.setText("?")
            self.conf_label.setText("Too small to read — draw the digit larger")
            self.bars.set_probs(None)
            return
        x = np.clip(center_by_mass(box), 0, 1)
        probs = model.predictor.predict(x[None])[0]
        self.last_latency_ms = (time.perf_counter() - t0) * 1000
        self.last_probs = probs
        digit, conf = int(probs.argmax()), float(probs.max())
        self.digit_label.setText(str(digit))
        if conf < LOW_CONFIDENCE:
            second = int(np.argsort(probs)[-2])
            self.conf_label.setText(f"Not sure: {conf:.0%} — or maybe {second} ({probs[second]:.0%})")
            self.digit_label.setStyleSheet("color: #c98a00;")
        else:
            self.conf_label.setText(f"{conf:.1%} confident")
            self.digit_label.setStyleSheet("")
        if self.true_label >= 0:
            ok = "✓ correct" if digit == self.true_label else "✗ wrong"
            self.truth_label.setText(f"True label: {self.true_label}  {ok}")
        else:
            self.truth_label.setText("")
        self.bars.set_probs(probs, self.true_label)
        self.box_tile.show_array(box, dark)
        self.input_tile.show_array(x, dark)
        self.predicted.emit(digit, conf)

    @staticmethod
    def _ink_extent(raw: np.ndarray) -> float:
        ys, xs = np.nonzero(raw > 0.1)
        if ys.size == 0:
            return 0.0
        return max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) / raw.shape[0]

    def set_dark(self, dark: bool) -> None:
        self.canvas.set_dark(dark)
        self.update_prediction()
