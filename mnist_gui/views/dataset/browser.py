"""The Dataset tab's browser: split and filter controls over a virtualised thumbnail grid."""

from __future__ import annotations


import numpy as np
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QListView, QPushButton, QSpinBox, QVBoxLayout, QWidget

from mnist_gui.views.dataset.filters import Filters
from mnist_gui.views.mnist_model import IndexRole, MnistListModel, ThumbnailDelegate

SPLITS = ("train", "test", "mine")
DISAGREE_OFF_TIP = "Needs a second model of the other architecture (MLP and CNN) to compare with the active one"
DISAGREE_ON_TIP = ("Only the images where the active model and the {name} model give different answers; "
                   "each thumbnail reads label→active|{name}")


class Browser(QWidget):
    """Controls (split, label, misclassified, the two disagree, go to #) above the thumbnail grid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.split_box = QComboBox()
        # Counts appear once the data has loaded: with a bad --data nothing claims 60,000 images.
        self.split_box.addItems(["train", "test", "My digits (0)"])
        self.label_box = QComboBox()
        self.label_box.addItems(["all labels"] + [f"label {d}" for d in range(10)])
        self.wrong_box = QCheckBox("misclassified only")
        self.disagree_box = QCheckBox("the two disagree")
        self.set_compare_name(None)
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

        # Two rows (what to show / which ones), so the tab still fits a 1024-px wide screen.
        controls = QHBoxLayout()
        for w in (self.split_box, self.label_box, self.jump, self.jump_btn):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.count_label)
        checks = QHBoxLayout()
        checks.addWidget(self.wrong_box)
        checks.addWidget(self.disagree_box)
        checks.addStretch(1)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addLayout(controls)
        self.layout_.addLayout(checks)
        self.layout_.addWidget(self.view, 1)

    def add_row(self, row: QWidget) -> None:
        """A row of controls between the filters and the grid (My digits' edits)."""
        self.layout_.insertWidget(2, row)

    @property
    def split(self) -> str:
        return SPLITS[max(0, self.split_box.currentIndex())]

    def filters(self, cell: tuple[int, int] | None) -> Filters:
        label = self.label_box.currentIndex() - 1
        return Filters(label=label if label >= 0 else None, misclassified=self.wrong_box.isChecked(), cell=cell,
                       disagree=self.disagree_box.isEnabled() and self.disagree_box.isChecked())

    def set_compare_name(self, name: str | None) -> None:
        """Enable "the two disagree" when there is a compare model (``name``), else say why it is off."""
        self.disagree_box.setEnabled(name is not None)
        self.disagree_box.setToolTip(DISAGREE_ON_TIP.format(name=name) if name else DISAGREE_OFF_TIP)

    def set_quietly(self, split: int | None = None, label: int | None = None, wrong: bool | None = None,
                    disagree: bool | None = None) -> None:
        """Set controls without their change signals (the caller re-filters once)."""
        for box, value in ((self.split_box, split), (self.label_box, label)):
            if value is not None:
                box.blockSignals(True)
                box.setCurrentIndex(value)
                box.blockSignals(False)
        for box, checked in ((self.wrong_box, wrong), (self.disagree_box, disagree)):
            if checked is not None:
                box.blockSignals(True)
                box.setChecked(checked)
                box.blockSignals(False)

    def show_indices(self, indices: np.ndarray, text: str) -> None:
        if np.array_equal(indices, self.model.indices):
            # Same images (predictions arrived, nothing filtered by them): no model reset, which would re-lay
            # out 60,000 items and drop the selection under the person browsing; only repaint the marks.
            self.view.viewport().update()
        else:
            self.model.set_indices(indices)
        self.count_label.setText(text)

    def show_current(self, index: int) -> None:
        """The "go to #" box shows the selected image's number, without its signals (no jump back)."""
        self.jump.blockSignals(True)
        self.jump.setValue(index)
        self.jump.blockSignals(False)

    def select_row(self, row: int) -> None:
        idx = self.model.index(row)
        self.view.selectionModel().setCurrentIndex(idx, QItemSelectionModel.ClearAndSelect)
        self.view.scrollTo(idx)

    def selected_indices(self) -> list[int]:
        rows = self.view.selectionModel().selectedIndexes()
        return sorted(int(i.data(IndexRole)) for i in rows)
