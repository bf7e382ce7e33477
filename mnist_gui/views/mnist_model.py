"""A virtualised Qt model/view for MNIST thumbnails: a list model over an index array and a delegate
that paints each 28×28 image on demand (no widget per image)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from mnist_gui.views.qimage import to_qimage

THUMB = 56
CELL = QSize(THUMB + 8, THUMB + 22)
IndexRole = Qt.UserRole + 1


class MnistListModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.images: np.ndarray = np.zeros((0, 28, 28), np.uint8)
        self.labels: np.ndarray = np.zeros(0, np.uint8)
        self.predicted: np.ndarray | None = None
        self.other: np.ndarray | None = None  # the compare model's answers, shown while "the two disagree" is on
        self.other_name = ""
        self.indices: np.ndarray = np.zeros(0, np.int64)

    def set_split(self, images: np.ndarray, labels: np.ndarray, predicted: np.ndarray | None) -> None:
        self.beginResetModel()
        self.images, self.labels, self.predicted = images, labels, predicted
        self.other = None  # another split's answers never label these images
        self.indices = np.arange(len(images))
        self.endResetModel()

    def set_indices(self, indices: np.ndarray) -> None:
        self.beginResetModel()
        self.indices = np.asarray(indices, dtype=np.int64)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.indices)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        i = int(self.indices[index.row()])
        if role == IndexRole:
            return i
        if role == Qt.DisplayRole:
            return str(int(self.labels[i]))
        if role == Qt.ToolTipRole:
            tip = f"#{i}: label {int(self.labels[i])}"
            if self.predicted is not None:
                tip += f", predicted {int(self.predicted[i])}"
                if self.other is not None:
                    tip += f" (the {self.other_name} model: {int(self.other[i])})"
            return tip
        return None

    def row_of(self, dataset_index: int) -> int:
        hits = np.flatnonzero(self.indices == dataset_index)
        return int(hits[0]) if hits.size else -1


class ThumbnailDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        model: MnistListModel = index.model()  # type: ignore[assignment]
        i = int(model.indices[index.row()])
        r = option.rect
        pal = option.palette
        if option.state & QStyle.State_Selected:
            # The active highlight, dimmed when the view lacks focus: some palettes make the inactive one invisible.
            hl = pal.color(QPalette.Active, QPalette.Highlight)
            if not option.state & QStyle.State_Active:
                hl.setAlpha(150)
            painter.fillRect(r, hl)
        painter.drawImage(QRect(r.x() + 4, r.y() + 4, THUMB, THUMB), to_qimage(model.images[i]))
        label = int(model.labels[i])
        text = f"{label}"
        color = pal.color(QPalette.Active, QPalette.HighlightedText if option.state & QStyle.State_Selected else QPalette.Text)
        wrong = model.predicted is not None and int(model.predicted[i]) != label
        if wrong:
            text += f"→{int(model.predicted[i])}"
            if not option.state & QStyle.State_Selected:  # red on the highlight is unreadable: keep its text colour
                color = QColor(230, 80, 60)
        if model.other is not None and model.predicted is not None:  # comparing: both answers, active first
            text = f"{label}→{int(model.predicted[i])}|{int(model.other[i])}"
        painter.setPen(color)
        painter.drawText(QRect(r.x(), r.y() + THUMB + 4, r.width(), 16), Qt.AlignCenter, text)
