"""The model, drawn: one box per layer (name, output shape, parameters) left to right; click one to select it."""

from __future__ import annotations

import logging

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from mnist_gui.ml.explain import LayerInfo

log = logging.getLogger(__name__)

KIND_COLORS = {"dense": (38, 99, 221), "conv": (44, 160, 44), "pool": (148, 103, 189), "output": (230, 120, 30)}


def describe(info: LayerInfo) -> tuple[str, str]:
    """Two short lines for a layer box: what it is, and its shape and parameters."""
    shape = "×".join(map(str, info.output_shape))
    what = {"dense": f"{info.units} units", "conv": f"{info.units} filters", "pool": "max-pool",
            "output": "10 classes"}.get(info.kind, info.kind)
    params = f"{info.params / 1000:.1f}k" if info.params >= 10_000 else f"{info.params:,}"  # fits a narrow box
    return f"{info.name} · {what}", f"{shape} · {params} params"


class ModelDiagram(QWidget):
    """Input → layer → … → output as boxes joined by arrows; the selected layer is outlined."""

    layerClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layers: list[LayerInfo] = []
        self._selected = -1
        self._boxes: list[QRectF] = []
        self._tips: dict[int, str] = {}
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setMouseTracking(True)
        self.setToolTip("The model's layers: click a layer to see its units below")

    def sizeHint(self) -> QSize:
        return QSize(600, self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(300, self._height())

    def _height(self) -> int:
        return self.fontMetrics().height() * 2 + 16

    def set_layers(self, layers: list[LayerInfo], selected: int) -> None:
        self._layers = list(layers)
        self._selected = selected
        self.update()

    def set_selected(self, index: int) -> None:
        self._selected = index
        self.update()

    def total_params(self) -> int:
        return sum(i.params for i in self._layers)

    def _layout(self) -> list[QRectF]:
        n = len(self._layers) + 1  # the input box first
        gap = 18.0
        w = max(60.0, (self.width() - 2 - gap * (n - 1)) / n)
        h = self.height() - 4.0
        return [QRectF(1 + i * (w + gap), 2, w, h) for i in range(n)]

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.WindowText)
        base = pal.color(QPalette.Base)
        self._boxes = self._layout()
        self._tips = {}
        small = QFont(self.font())
        for i, rect in enumerate(self._boxes):
            if i == 0:
                title, sub, kind = "input · 28×28 image", "784 pixels", "input"
            else:
                info = self._layers[i - 1]
                title, sub = describe(info)
                kind = info.kind
            rgb = KIND_COLORS.get(kind, (127, 127, 127))
            fill = QColor(*rgb)
            fill.setAlpha(60)
            p.setBrush(base)
            p.setPen(Qt.NoPen)
            p.drawRoundedRect(rect, 6, 6)
            p.setBrush(fill)
            selected = i - 1 == self._selected and i > 0
            p.setPen(QPen(QColor(*rgb), 3 if selected else 1))
            p.drawRoundedRect(rect, 6, 6)
            p.setPen(text)
            bold = QFont(small)
            bold.setBold(selected)
            p.setFont(bold)
            inner = rect.adjusted(6, 4, -6, -4)
            fm = p.fontMetrics()
            p.drawText(inner, Qt.AlignTop | Qt.AlignHCenter, fm.elidedText(title, Qt.ElideRight, int(inner.width())))
            p.setFont(small)
            p.drawText(inner, Qt.AlignBottom | Qt.AlignHCenter, fm.elidedText(sub, Qt.ElideRight, int(inner.width())))
            self._tips[i] = f"{title}\n{sub}"
            if i + 1 < len(self._boxes):  # arrow to the next box
                nxt = self._boxes[i + 1]
                y = rect.center().y()
                p.setPen(QPen(text, 1.5))
                p.drawLine(int(rect.right() + 2), int(y), int(nxt.left() - 3), int(y))
                p.drawLine(int(nxt.left() - 3), int(y), int(nxt.left() - 8), int(y - 4))
                p.drawLine(int(nxt.left() - 3), int(y), int(nxt.left() - 8), int(y + 4))
        p.end()

    def box_of(self, index: int) -> QRectF:
        """The box of layer ``index`` (tests click it)."""
        return self._layout()[index + 1]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for i, rect in enumerate(self._layout()[1:]):
            if rect.contains(event.position()):
                self.layerClicked.emit(i)
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # the full text of the box under the mouse (a narrow box elides it)
        for i, rect in enumerate(self._layout()):
            if rect.contains(event.position()):
                self.setToolTip(self._tips.get(i, "") + ("\nclick to see its units" if i else ""))
                return
        self.setToolTip("The model's layers: click a layer to see its units below")
