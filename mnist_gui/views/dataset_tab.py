"""The Dataset tab: browse train/test/My digits as a virtualised thumbnail grid, the notebook's figures,
the active model's predictions, a clickable confusion matrix and per-class accuracy; relabel and delete
My digits."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QItemSelectionModel, Qt, QThread, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QListView, QPushButton,
    QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from mnist_gui.views.mnist_model import IndexRole, MnistListModel, ThumbnailDelegate
from mnist_gui.views.state import AppState
from mnist_gui.views.threads import run_in_thread

log = logging.getLogger(__name__)

SPLITS = ("train", "test", "mine")
CONFUSION_TEXT = ("Confusion matrix of the active model on {n} test images (rows: true, columns: predicted). "
                  "Click a cell to see those images.")


def _predict_all(predictor, x: np.ndarray) -> np.ndarray:
    """Class predictions for a whole split with the numpy predictor, in chunks."""
    out = np.empty(len(x), dtype=np.int64)
    for s in range(0, len(x), 2048):
        out[s : s + 2048] = predictor.predict(x[s : s + 2048].astype(np.float32) / 255.0).argmax(axis=1)
    return out


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.bincount(y_true.astype(np.int64) * 10 + y_pred, minlength=100).reshape(10, 10)


class DatasetTab(QWidget):
    selected = Signal(int)
    predictionsReady = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.split = "train"
        self.current = -1
        self.test_pred: np.ndarray | None = None
        self.train_pred: np.ndarray | None = None
        self.mine_pred: np.ndarray | None = None
        self.confusion: np.ndarray | None = None
        self.cell_filter: tuple[int, int] | None = None
        self._figures_ready = False
        self._dark = False
        self._pred_thread: QThread | None = None
        self._pred_generation = 0

        # browser
        self.split_box = QComboBox()
        # Counts appear once the data has loaded (_on_data): with a bad --data nothing claims 60,000 images.
        self.split_box.addItems(["train", "test", "My digits (0)"])
        self.label_box = QComboBox()
        self.label_box.addItems(["all labels"] + [f"label {d}" for d in range(10)])
        self.wrong_box = QCheckBox("misclassified only")
        self.jump = QSpinBox(minimum=0, maximum=59999)
        self.jump.setPrefix("#")
        self.jump_btn = QPushButton("Go")
        self.count_label = QLabel("")
        self.model = MnistListModel()
        self.view = QListView()
        self.view.setViewMode(QListView.IconMode)
        self.view.setResizeMode(QListView.Adjust)
        self.view.setUniformItemSizes(True)
        self.view.setMovement(QListView.Static)
        self.view.setLayoutMode(QListView.Batched)
        self.view.setBatchSize(600)
        self.view.setSelectionMode(QListView.SingleSelection)
        self.view.setItemDelegate(ThumbnailDelegate(self.view))
        self.view.setModel(self.model)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.split_box.currentIndexChanged.connect(self._on_split)
        self.label_box.currentIndexChanged.connect(self.apply_filter)
        self.wrong_box.toggled.connect(self.apply_filter)
        self.jump_btn.clicked.connect(lambda: self.select_index(self.jump.value()))
        self.jump.editingFinished.connect(lambda: self.select_index(self.jump.value()))

        controls = QHBoxLayout()
        for w in (self.split_box, self.label_box, self.wrong_box, self.jump, self.jump_btn):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.count_label)
        # My digits editing: shown only for that split
        self.relabel_box = QComboBox()
        self.relabel_box.addItems([f"Relabel as {d}" for d in range(10)])
        self.relabel_box.setPlaceholderText("Relabel as…")
        self.relabel_box.setCurrentIndex(-1)
        self.relabel_box.setToolTip("Give the selected digits this label (or press its number key)")
        self.relabel_box.activated.connect(self.relabel_selected)
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.setToolTip("Delete the selected digits from My digits (Delete)")
        self.delete_btn.clicked.connect(self.delete_selected)
        self.mine_hint = QLabel("Add digits on the Draw tab: draw, then press the digit's key.")
        self.mine_row = QWidget()
        mine = QHBoxLayout(self.mine_row)
        mine.setContentsMargins(0, 0, 0, 0)
        mine.addWidget(self.relabel_box)
        mine.addWidget(self.delete_btn)
        mine.addWidget(self.mine_hint, 1)
        self.mine_row.hide()
        for keys, slot in ((QKeySequence.Delete, self.delete_selected),
                           *((str(d), lambda d=d: self.relabel_selected(d)) for d in range(10))):
            # Active while this tab is shown, wherever its focus is (the split box after choosing My digits, a
            # button); a text field (the index box) keeps its digits and Delete via ShortcutOverride.
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.WindowShortcut)
            sc.activated.connect(slot)
        browser = QWidget()
        bv = QVBoxLayout(browser)
        bv.setContentsMargins(0, 0, 0, 0)
        bv.addLayout(controls)
        bv.addWidget(self.mine_row)
        bv.addWidget(self.view, 1)

        # details: figures + info + confusion
        self.details = QTabWidget()
        self.pixel_page = QWidget()
        self.pixel_layout = QVBoxLayout(self.pixel_page)
        self.rescale_box = QCheckBox("show rescaled values (/255)")
        self.rescale_box.toggled.connect(self._refresh_pixel_view)
        self.info = QLabel("Select an image")
        self.info.setTextFormat(Qt.RichText)
        self.info.setWordWrap(True)
        self.send_btn = QPushButton("Send to canvas")
        self.send_btn.setToolTip("Put this image on the Draw tab")
        self.send_btn.clicked.connect(self.send_to_canvas)
        self.export_btn = QPushButton("Export figure…")
        self.export_btn.clicked.connect(self.export_dialog)
        row = QHBoxLayout()
        row.addWidget(self.rescale_box)
        row.addStretch(1)
        row.addWidget(self.send_btn)
        row.addWidget(self.export_btn)
        self.pixel_layout.addLayout(row)
        self.pixel_layout.addWidget(self.info)
        self.first_six_page = QWidget()
        self.first_six_layout = QVBoxLayout(self.first_six_page)
        self.first_six_layout.addWidget(QLabel("The notebook's step 2: the first six training images, labels as titles"))
        self.confusion_page = QWidget()
        cv = QVBoxLayout(self.confusion_page)
        self.confusion_label = QLabel(CONFUSION_TEXT.format(n="the"))  # the count once the data has loaded
        self.confusion_label.setWordWrap(True)
        self.table = QTableWidget(10, 11)
        self.table.setHorizontalHeaderLabels([str(d) for d in range(10)] + ["acc."])
        self.table.setVerticalHeaderLabels([str(d) for d in range(10)])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.cellClicked.connect(self.filter_cell)
        self.overall_label = QLabel("")
        cv.addWidget(self.confusion_label)
        cv.addWidget(self.table, 1)
        cv.addWidget(self.overall_label)
        self.details.addTab(self.pixel_page, "Pixel values")
        self.details.addTab(self.first_six_page, "First six")
        self.details.addTab(self.confusion_page, "Confusion matrix")

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(browser)
        splitter.addWidget(self.details)
        splitter.setSizes([520, 580])
        QVBoxLayout(self).addWidget(splitter)

        state.dataChanged.connect(self._on_data)
        state.modelChanged.connect(self._on_model)
        state.myDigitsChanged.connect(self._on_my_digits)

    # --- lazy figures ---------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not event.spontaneous():  # shown as the current tab: arrow keys browse the grid at once
            self.view.setFocus(Qt.OtherFocusReason)
        self.ensure_figures()
        if self._stale:
            self._on_model()

    _stale = False

    def ensure_figures(self) -> None:
        if self._figures_ready:
            return
        from mnist_gui.views.figures import FirstSixCanvas, PixelCanvas  # matplotlib: ~0.4 s

        self.pixel_canvas = PixelCanvas()
        self.pixel_layout.insertWidget(1, self.pixel_canvas, 1)
        self.first_six = FirstSixCanvas()
        self.first_six_layout.addWidget(self.first_six, 1)
        self._figures_ready = True
        self._refresh_first_six()
        self._refresh_pixel_view()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        if self._figures_ready:
            self._refresh_first_six()
            self._refresh_pixel_view()

    # --- data and model -------------------------------------------------------------------------------
    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.split == "mine":
            return self.state.my_digits.x, self.state.my_digits.y
        d = self.state.data
        if d is None:
            return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
        return (d.x_train, d.y_train) if self.split == "train" else (d.x_test, d.y_test)

    def _pred(self) -> np.ndarray | None:
        return {"train": self.train_pred, "test": self.test_pred, "mine": self.mine_pred}[self.split]

    def _on_my_digits(self) -> None:
        coll = self.state.my_digits
        self.split_box.setItemText(2, f"My digits ({len(coll):,})")
        self._predict_mine()
        if self.split == "mine":
            keep = self.current
            x, y = self._arrays()
            self.model.set_split(x, y, self.mine_pred)
            self.jump.setMaximum(max(0, len(x) - 1))
            self.apply_filter()
            if len(x):
                self.select_index(min(max(keep, 0), len(x) - 1))
            else:
                self._show_empty()

    def _predict_mine(self) -> None:
        """My digits are few (hundreds): predicted right here with the numpy forward pass."""
        m, coll = self.state.model, self.state.my_digits
        self.mine_pred = _predict_all(m.predictor, coll.x) if m is not None and len(coll) else None

    def _on_data(self) -> None:
        d = self.state.data
        if d is not None:  # the counts of what actually loaded (a custom --data need not have 60,000)
            self.split_box.setItemText(0, f"train ({len(d.x_train):,})")
            self.split_box.setItemText(1, f"test ({len(d.x_test):,})")
            self.confusion_label.setText(CONFUSION_TEXT.format(n=f"the {len(d.x_test):,}"))
        self.train_pred = self.test_pred = None
        self._on_split()
        self._refresh_first_six()
        self._on_model()

    def _on_split(self) -> None:
        self.split = SPLITS[max(0, self.split_box.currentIndex())]
        mine = self.split == "mine"
        self.mine_row.setVisible(mine)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection if mine else QAbstractItemView.SingleSelection)
        x, y = self._arrays()
        self.model.set_split(x, y, self._pred())
        self.jump.setMaximum(max(0, len(x) - 1))
        self.cell_filter = None
        self.apply_filter()
        if len(x):
            self.select_index(0)
        else:
            self._show_empty()

    def _show_empty(self) -> None:
        self.current = -1
        self.info.setText("My digits is empty: on the Draw tab, draw a digit and press its number key."
                          if self.split == "mine" else "No images")
        if self._figures_ready:
            self.pixel_canvas.show_image(np.zeros((28, 28), np.uint8), self.rescale_box.isChecked(), self._dark)

    def _on_model(self) -> None:
        """Recompute predictions for both splits off the GUI thread when the active model changes."""
        if self.state.data is None or self.state.model is None or self.state.closing:
            return
        if not self.isVisible():  # evaluate when the tab is next shown, not while the user trains or draws
            self._stale = True
            return
        self._stale = False
        self._predict_mine()
        if self.split == "mine":
            self.model.predicted = self.mine_pred
            self.apply_filter()
        self._pred_generation += 1
        gen = self._pred_generation
        self.overall_label.setText("Evaluating the active model on the test set…")
        d, predictor = self.state.data, self.state.model.predictor
        self._pred_thread = run_in_thread(lambda: (gen, _predict_all(predictor, d.x_test), _predict_all(predictor, d.x_train)),
                                          name="dataset-predict", on_done=self._on_predictions, receiver=self)

    def _on_predictions(self, result: object) -> None:
        gen, test_pred, train_pred = result  # type: ignore[misc]
        if gen != self._pred_generation:
            return  # a newer model took over meanwhile
        self._pred_thread = None
        self.test_pred, self.train_pred = test_pred, train_pred
        d = self.state.data
        self.confusion = confusion_matrix(d.y_test, test_pred)
        self._fill_confusion()
        self.model.predicted = self._pred()
        self.apply_filter()
        self._refresh_pixel_view()
        self.predictionsReady.emit()

    def _fill_confusion(self) -> None:
        cm = self.confusion
        peak = max(1, int(cm.max()))
        off_peak = max(1, int((cm - np.diag(np.diag(cm))).max()))
        for t in range(10):
            for p in range(10):
                v = int(cm[t, p])
                item = QTableWidgetItem(str(v))
                item.setTextAlignment(Qt.AlignCenter)
                if t == p:
                    a = 60 + int(160 * v / peak)
                    item.setBackground(QBrush(QColor(38, 99, 221, a)))
                elif v:
                    item.setBackground(QBrush(QColor(230, 80, 60, 40 + int(180 * v / off_peak))))
                item.setToolTip(f"true {t}, predicted {p}: {v} images — click to show them")
                self.table.setItem(t, p, item)
            row_total = int(cm[t].sum())
            acc = QTableWidgetItem(f"{cm[t, t] / row_total:.1%}" if row_total else "–")
            acc.setTextAlignment(Qt.AlignCenter)
            self.table.setItem(t, 10, acc)
        total = int(cm.sum())
        self.overall_label.setText(f"Test accuracy {np.trace(cm) / total:.2%} ({int(np.trace(cm)):,} of {total:,}); "
                                   f"{total - int(np.trace(cm)):,} misclassified")

    # --- filtering ------------------------------------------------------------------------------------
    def apply_filter(self) -> None:
        x, y = self._arrays()
        keep = np.ones(len(y), dtype=bool)
        pred = self._pred()
        if self.cell_filter is not None and pred is not None:
            t, p = self.cell_filter
            keep &= (y == t) & (pred == p)
        label = self.label_box.currentIndex() - 1
        if label >= 0:
            keep &= y == label
        if self.wrong_box.isChecked() and pred is not None:
            keep &= pred != y
        self.model.set_indices(np.flatnonzero(keep))
        desc = f"{len(self.model.indices):,} of {len(y):,} images"
        if self.cell_filter is not None:
            desc += f" (true {self.cell_filter[0]} → predicted {self.cell_filter[1]})"
        self.count_label.setText(desc)

    def filter_cell(self, true_label: int, predicted: int) -> None:
        """Show exactly the test images with this true label that the model read as ``predicted``."""
        if predicted > 9 or self.test_pred is None:
            return
        self.split_box.blockSignals(True)
        self.split_box.setCurrentIndex(1)
        self.split_box.blockSignals(False)
        self.split = "test"
        self.mine_row.hide()
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        x, y = self._arrays()
        self.model.set_split(x, y, self.test_pred)
        self.label_box.blockSignals(True)
        self.label_box.setCurrentIndex(0)
        self.label_box.blockSignals(False)
        self.wrong_box.blockSignals(True)
        self.wrong_box.setChecked(False)
        self.wrong_box.blockSignals(False)
        self.cell_filter = (true_label, predicted)
        self.apply_filter()
        if len(self.model.indices):
            self.select_index(int(self.model.indices[0]))

    def shown_indices(self) -> np.ndarray:
        return self.model.indices.copy()

    # --- selection ------------------------------------------------------------------------------------
    def select_index(self, i: int) -> None:
        row = self.model.row_of(i)
        if row < 0:  # not in the current filter: clear the filters first
            self.label_box.setCurrentIndex(0)
            self.wrong_box.setChecked(False)
            self.cell_filter = None
            self.apply_filter()
            row = self.model.row_of(i)
            if row < 0:
                return
        idx = self.model.index(row)
        self.view.selectionModel().setCurrentIndex(idx, QItemSelectionModel.ClearAndSelect)
        self.view.scrollTo(idx)

    def _on_current(self, current, previous) -> None:
        if current.isValid():
            self.current = int(current.data(IndexRole))
            self._refresh_pixel_view()
            self.selected.emit(self.current)

    def _refresh_first_six(self) -> None:
        if self._figures_ready and self.state.data is not None:
            d = self.state.data
            self.first_six.show_images(d.x_train[:6], d.y_train[:6], self._dark)

    def _refresh_pixel_view(self) -> None:
        x, y = self._arrays()
        if self.current < 0 or self.current >= len(x):
            return
        img, label = x[self.current], int(y[self.current])
        if self._figures_ready:
            self.pixel_canvas.show_image(img, self.rescale_box.isChecked(), self._dark)
        onehot = " ".join("1" if d == label else "0" for d in range(10))
        if self.split == "mine":
            coll = self.state.my_digits
            role = "held out (for measuring)" if coll.holdout_mask()[self.current] else "for fine-tuning"
            html = f"<b>My digit {int(coll.ids[self.current])}</b> ({role}) &nbsp; label <b>{label}</b> &nbsp; one-hot <code>[{onehot}]</code>"
        else:
            html = f"<b>{self.split} #{self.current}</b> &nbsp; label <b>{label}</b> &nbsp; one-hot <code>[{onehot}]</code>"
        m = self.state.model
        if m is not None:
            probs = m.predictor.predict(img[None].astype(np.float32) / 255.0)[0]
            p = int(probs.argmax())
            mark = "✓" if p == label else "<span style='color:#e65040'>✗</span>"
            top3 = ", ".join(f"{d}: {probs[d]:.1%}" for d in np.argsort(probs)[::-1][:3])
            html += f"<br>predicted <b>{p}</b> {mark} &nbsp; ({top3})"
        self.info.setText(html)

    # --- My digits edits -------------------------------------------------------------------------------
    def selected_indices(self) -> list[int]:
        rows = self.view.selectionModel().selectedIndexes()
        return sorted(int(i.data(IndexRole)) for i in rows)

    def relabel_selected(self, label: int) -> None:
        self.relabel_box.setCurrentIndex(-1)  # a menu of actions, not a setting: show the placeholder again
        idx = self.selected_indices()
        if self.split != "mine" or not idx:
            return
        coll = self.state.my_digits
        self._edit(lambda: coll.relabel(coll.ids[idx], label), f"Relabelled {len(idx)} digit(s) as {label}")

    def delete_selected(self) -> None:
        idx = self.selected_indices()
        if self.split != "mine" or not idx:
            return
        coll = self.state.my_digits
        self._edit(lambda: coll.delete(coll.ids[idx]), f"Deleted {len(idx)} digit(s) from My digits")

    def _edit(self, change, done: str) -> None:
        try:
            change()
        except OSError as exc:
            win = self.window()
            if hasattr(win, "error"):
                win.error("My digits could not be saved", f"{exc.strerror or exc}. Nothing was changed.")
            return
        self.state.myDigitsChanged.emit()
        win = self.window()
        if hasattr(win, "show_status"):
            win.show_status(done)

    # --- actions --------------------------------------------------------------------------------------
    def send_to_canvas(self) -> None:
        x, y = self._arrays()
        if 0 <= self.current < len(x):
            strokes = self.state.my_digits.strokes[self.current] if self.split == "mine" else ()
            if strokes:  # a drawn digit comes back as its strokes, editable
                self.state.sendStrokesToCanvas.emit(strokes, int(y[self.current]))
            else:
                self.state.sendToCanvas.emit(x[self.current], int(y[self.current]))
            win = self.window()
            if hasattr(win, "tabs"):
                win.tabs.setCurrentIndex(0)

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export figure", "figure.png", "PNG image (*.png)")
        if path:
            self.export_figure(path)

    def export_figure(self, path: str, which: str | None = None) -> bool:
        from mnist_gui.atomic import atomic_path

        self.ensure_figures()
        which = which or ("first_six" if self.details.currentWidget() is self.first_six_page else "pixels")
        fig = self.first_six.figure if which == "first_six" else self.pixel_canvas.figure
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                fig.savefig(f, format="png", dpi=150)
        except (OSError, ValueError) as exc:
            win = self.window()
            if hasattr(win, "error"):
                win.error("The figure could not be exported", f"{path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        return True
