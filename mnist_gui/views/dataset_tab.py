"""The Dataset tab: browse train/test/My digits as a virtualised thumbnail grid, the notebook's figures,
the active model's predictions, a clickable confusion matrix and per-class accuracy; relabel and delete
My digits; "the two disagree" between the active and the compare model.

This module wires the parts in ``mnist_gui/views/dataset/`` (browser, details, confusion, My digits edits,
filters, the prediction cache on ``AppState``) to the state; each part has one job.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QSplitter, QVBoxLayout, QWidget

from mnist_gui.views.dataset.browser import SPLITS, Browser
from mnist_gui.views.dataset.details import DetailsPane
from mnist_gui.views.dataset.filters import describe, filter_indices
from mnist_gui.views.dataset.my_digits_edits import MyDigitsEdits
from mnist_gui.views.dataset.predictions import PredictionCache, confusion_matrix
from mnist_gui.views.mnist_model import IndexRole
from mnist_gui.views.state import AppState

if TYPE_CHECKING:
    from mnist_gui.views.figures import FirstSixCanvas, PixelCanvas  # matplotlib: imported on first show

log = logging.getLogger(__name__)


def _model_name(model: object) -> str:
    """'CNN' / 'MLP': how the compare model is named in the UI."""
    return str(getattr(getattr(model, "predictor", None), "arch", "other")).upper()


class DatasetTab(QWidget):
    selected = Signal(int)
    predictionsReady = Signal()

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.cache: PredictionCache = state.predictions  # on AppState: shared with other views
        self.split = "train"
        self.current = -1
        self.confusion: np.ndarray | None = None
        self.cell_filter: tuple[int, int] | None = None
        self._stale = False

        self.browser = Browser()
        b = self.browser
        self.split_box, self.label_box, self.wrong_box, self.disagree_box = b.split_box, b.label_box, b.wrong_box, b.disagree_box
        self.jump, self.jump_btn, self.count_label, self.model, self.view = b.jump, b.jump_btn, b.count_label, b.model, b.view
        self.edits = MyDigitsEdits(state, b.selected_indices, lambda: self.split == "mine", shortcut_parent=self)
        self.mine_row, self.relabel_box, self.delete_btn = self.edits, self.edits.relabel_box, self.edits.delete_btn
        self.mine_row.hide()
        b.add_row(self.mine_row)
        self.details = DetailsPane()
        d = self.details
        self.rescale_box, self.info, self.send_btn, self.export_btn = d.rescale_box, d.info, d.send_btn, d.export_btn
        self.first_six_page = d.first_six_page
        self.confusion_label, self.table, self.overall_label = d.confusion.label, d.confusion.table, d.confusion.overall_label

        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.split_box.currentIndexChanged.connect(self._on_split)
        self.label_box.currentIndexChanged.connect(self.apply_filter)
        self.wrong_box.toggled.connect(self.apply_filter)
        self.disagree_box.toggled.connect(self._on_disagree)
        self.jump_btn.clicked.connect(lambda: self.select_index(self.jump.value()))
        self.jump.editingFinished.connect(lambda: self.select_index(self.jump.value()))
        self.rescale_box.toggled.connect(self._refresh_pixel_view)
        self.send_btn.clicked.connect(self.send_to_canvas)
        self.export_btn.clicked.connect(self.export_dialog)
        d.confusion.cellChosen.connect(self.filter_cell)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.browser)
        splitter.addWidget(self.details)
        splitter.setSizes([520, 580])
        QVBoxLayout(self).addWidget(splitter)

        state.dataChanged.connect(self._on_data)
        state.modelChanged.connect(self._on_model)
        state.compareModelChanged.connect(self._on_compare)
        state.myDigitsChanged.connect(self._on_my_digits)
        state.openInDataset.connect(self.open_image)
        self.cache.ready.connect(self._on_predictions)
        self.cache.failed.connect(self._on_failed)
        self._on_compare()

    # --- the parts made on first show -----------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not event.spontaneous():  # shown as the current tab: arrow keys browse the grid at once
            self.view.setFocus(Qt.OtherFocusReason)
        self.ensure_figures()
        if self._stale:
            self._on_model()

    def ensure_figures(self) -> None:
        if self.details.figures_ready:
            return
        self.details.ensure_figures()
        self._refresh_first_six()
        self._refresh_pixel_view()

    @property
    def pixel_canvas(self) -> PixelCanvas | None:
        return self.details.pixel_canvas

    @property
    def first_six(self) -> FirstSixCanvas | None:
        return self.details.first_six

    def set_dark(self, dark: bool) -> None:
        self.details.set_dark(dark)
        self._refresh_first_six()

    # --- data, models and predictions -----------------------------------------------------------------
    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.split == "mine":
            return self.state.my_digits.x, self.state.my_digits.y
        d = self.state.data
        if d is None:
            return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8)
        return (d.x_train, d.y_train) if self.split == "train" else (d.x_test, d.y_test)

    def _active(self) -> object | None:
        return self.state.model.predictor if self.state.model is not None else None

    def _compare(self) -> object | None:
        c = self.state.compare_model
        return c.predictor if c is not None else None

    def _pred(self, split: str | None = None) -> np.ndarray | None:
        return self.cache.get(self._active(), split or self.split)

    @property
    def test_pred(self) -> np.ndarray | None:
        return self._pred("test")

    @property
    def train_pred(self) -> np.ndarray | None:
        return self._pred("train")

    @property
    def mine_pred(self) -> np.ndarray | None:
        return self._pred("mine")

    def _on_my_digits(self) -> None:
        coll = self.state.my_digits
        self.split_box.setItemText(2, f"My digits ({len(coll):,})")
        self.cache.predict_now(self._active(), "mine")  # hundreds of digits: a few ms, right here
        if self.split == "mine":
            keep = self.current
            x, y = self._arrays()
            self.model.set_split(x, y, self.mine_pred)
            self.jump.setMaximum(max(0, len(x) - 1))
            self._request_compare()  # the change dropped the compare model's answers too: "the two disagree" needs them
            self.apply_filter()
            if len(x):
                self.select_index(min(max(keep, 0), len(x) - 1))
            else:
                self._show_empty()

    def _on_data(self) -> None:
        d = self.state.data
        if d is not None:  # the counts of what actually loaded (a custom --data need not have 60,000)
            self.split_box.setItemText(0, f"train ({len(d.x_train):,})")
            self.split_box.setItemText(1, f"test ({len(d.x_test):,})")
            self.details.confusion.set_test_count(len(d.x_test))
        self._on_split()
        self._refresh_first_six()
        self._on_model()

    def _on_split(self) -> None:
        self.split = self.browser.split
        mine = self.split == "mine"
        self.mine_row.setVisible(mine)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection if mine else QAbstractItemView.SingleSelection)
        x, y = self._arrays()
        self.model.set_split(x, y, self._pred())
        self.jump.setMaximum(max(0, len(x) - 1))
        self.cell_filter = None
        self._request_compare()
        self.apply_filter()
        if len(x):
            self.select_index(0)
        else:
            self._show_empty()

    def _show_empty(self) -> None:
        self.current = -1
        self.info.setText("My digits is empty: on the Draw tab, draw a digit and press its number key."
                          if self.split == "mine" else "No images")
        self.details.show_pixels(np.zeros((28, 28), np.uint8))

    def _on_model(self) -> None:
        """Predict both splits off the GUI thread (test first: the confusion matrix) when the model changes."""
        if self.state.data is None or self.state.model is None or self.state.closing:
            return
        if not self.isVisible():  # evaluate when the tab is next shown, not while the user trains or draws
            self._stale = True
            return
        self._stale = False
        active = self._active()
        self.cache.predict_now(active, "mine")
        # The previous model's answers go now (red marks, "misclassified only"), not when the new ones arrive.
        self.model.predicted = self._pred()
        self.apply_filter()
        self._refresh_pixel_view()
        if self.cache.get(active, "test") is None:
            self.confusion = None
            self.details.confusion.show_evaluating()
        self.cache.request(active, "test", first=True)
        self.cache.request(active, "train")
        self._request_compare()
        for split in ("test", "train"):  # already known for this model (switched back to it): show them now
            if self.cache.get(active, split) is not None:
                self._on_predictions(split)

    def _on_compare(self) -> None:
        self.browser.set_compare_name(_model_name(self.state.compare_model) if self.state.compare_model else None)
        self._request_compare()
        self.apply_filter()
        self._refresh_pixel_view()

    def _on_disagree(self, on: bool) -> None:
        self._request_compare()
        self.apply_filter()

    def _request_compare(self) -> None:
        """The compare model's answers for this split, only while "the two disagree" is on (a CNN over 60,000
        images takes seconds)."""
        if self.disagree_box.isChecked() and self.disagree_box.isEnabled() and self.split != "mine":
            self.cache.request(self._compare(), self.split, first=True)
        elif self.disagree_box.isChecked() and self.split == "mine":
            self.cache.predict_now(self._compare(), "mine")

    def _on_predictions(self, split: str) -> None:
        d, active = self.state.data, self._active()
        test_pred = self.cache.get(active, "test")
        if split == "test" and d is not None and test_pred is not None:
            self.confusion = confusion_matrix(d.y_test, test_pred)
            self.details.confusion.show_matrix(self.confusion)
        if split == self.split:
            self.model.predicted = self._pred()
            self.apply_filter()
        self._refresh_pixel_view()
        if test_pred is not None:
            self.predictionsReady.emit()

    def _on_failed(self, predictor: object, split: str, message: str) -> None:
        """A prediction job failed: say so where its answers are awaited (a status line, not a dialog per job)."""
        if predictor is self._active():
            who = "The active model"
            if split == "test":
                self.details.confusion.show_failed(message)
        elif predictor is self._compare():
            who = f"The {_model_name(self.state.compare_model)} model"
        else:
            return  # a model no longer shown here: the log has it
        self.state.show_status(f"{who} could not read the {split} images: {message}")
        self.apply_filter()

    # --- filtering ------------------------------------------------------------------------------------
    def apply_filter(self) -> None:
        _, y = self._arrays()
        f = self.browser.filters(self.cell_filter)
        other = self.cache.get(self._compare(), self.split) if f.disagree else None
        self.model.other, self.model.other_name = other, _model_name(self.state.compare_model)
        shown = filter_indices(y, f, self._pred(), other)
        text = describe(len(shown), len(y), f)
        if f.disagree and other is None:
            error = self.cache.error(self._compare(), self.split)
            name = _model_name(self.state.compare_model)
            text += f" — the {name} model could not read them: {error}" if error else f" — the {name} model is reading them…"
        self.browser.show_indices(shown, text)

    def filter_cell(self, true_label: int, predicted: int) -> None:
        """Show exactly the test images with this true label that the model read as ``predicted``."""
        if predicted > 9 or self.test_pred is None:
            return
        self.browser.set_quietly(split=1, label=0, wrong=False, disagree=False)
        self.split = "test"
        self.mine_row.hide()
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        x, y = self._arrays()
        self.model.set_split(x, y, self.test_pred)
        self.jump.setMaximum(max(0, len(x) - 1))
        self.cell_filter = (true_label, predicted)
        self.apply_filter()
        if len(self.model.indices):
            self.select_index(int(self.model.indices[0]))

    def shown_indices(self) -> np.ndarray:
        return self.model.indices.copy()

    # --- selection ------------------------------------------------------------------------------------
    def open_image(self, split: str, index: int) -> None:
        """``state.openInDataset``: show image ``index`` of ``split`` (switching split, clearing filters)."""
        if split not in SPLITS:
            log.warning("open in dataset: unknown split %r", split)
            return
        if self.split != split:
            self.split_box.setCurrentIndex(SPLITS.index(split))  # _on_split: new grid, filters of the cell cleared
        self.select_index(index)

    def select_index(self, i: int) -> None:
        row = self.model.row_of(i)
        if row < 0:  # not in the current filter: clear the filters first
            self.browser.set_quietly(label=0, wrong=False, disagree=False)
            self.cell_filter = None
            self.apply_filter()
            row = self.model.row_of(i)
            if row < 0:
                return
        self.browser.select_row(row)

    def _on_current(self, current, previous) -> None:
        if current.isValid():
            self.current = int(current.data(IndexRole))
            self.browser.show_current(self.current)
            self._refresh_pixel_view()
            x, _ = self._arrays()
            if 0 <= self.current < len(x):  # the Inside view follows the image selected here
                self.state.select_image(x[self.current], self.split, self.current)
            self.selected.emit(self.current)

    def _refresh_first_six(self) -> None:
        if self.state.data is not None:
            d = self.state.data
            self.details.show_first_six(d.x_train[:6], d.y_train[:6])

    def _refresh_pixel_view(self) -> None:
        x, y = self._arrays()
        if self.current < 0 or self.current >= len(x):
            return
        img, label = x[self.current], int(y[self.current])
        self.details.show_pixels(img)
        if self.split == "mine":
            coll = self.state.my_digits
            role = "held out (for measuring)" if coll.holdout_mask()[self.current] else "for fine-tuning"
            header = f"<b>My digit {int(coll.ids[self.current])}</b> ({role})"
        else:
            header = f"<b>{self.split} #{self.current}</b>"
        batch = img[None].astype(np.float32) / 255.0
        active, compare = self._active(), self._compare()
        self.details.show_info(header, label, active.predict(batch)[0] if active is not None else None,
                               compare.predict(batch)[0] if compare is not None else None,
                               _model_name(self.state.compare_model), _model_name(self.state.model))

    # --- My digits edits (the row's actions, kept here for callers and tests) -------------------------
    def selected_indices(self) -> list[int]:
        return self.browser.selected_indices()

    def relabel_selected(self, label: int) -> None:
        self.edits.relabel_selected(label)

    def delete_selected(self) -> None:
        self.edits.delete_selected()

    # --- actions --------------------------------------------------------------------------------------
    def send_to_canvas(self) -> None:
        x, y = self._arrays()
        if 0 <= self.current < len(x):
            strokes = self.state.my_digits.strokes[self.current] if self.split == "mine" else ()
            if strokes:  # a drawn digit comes back as its strokes, editable
                self.state.send_strokes_to_canvas(strokes, int(y[self.current]))
            else:
                self.state.send_to_canvas(x[self.current], int(y[self.current]))

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save figure as PNG", "figure.png", "PNG image (*.png)")
        if path:
            self.export_figure(path)

    def export_figure(self, path: str, which: str | None = None) -> bool:
        from mnist_gui.atomic import atomic_path

        self.ensure_figures()
        fig = self.details.current_figure(which)
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                fig.savefig(f, format="png", dpi=150)  # type: ignore[attr-defined]
        except (OSError, ValueError) as exc:
            log.warning("figure export failed: %s", exc)
            self.state.report_error("The figure could not be exported", f"{path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        return True
