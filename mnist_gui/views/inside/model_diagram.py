"""The model, drawn: one box per layer (what it is, output shape, parameters) left to right; click one to select it."""

from __future__ import annotations

import logging

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from mnist_gui.ml.explain import LayerInfo

log = logging.getLogger(__name__)

KIND_COLORS = {"dense": (38, 99, 221), "conv": (44, 160, 44), "pool": (148, 103, 189), "output": (230, 120, 30)}


INPUT_SHAPE = (28, 28, 1)


def _act(info: LayerInfo) -> str:
    return f" ({info.activation})" if info.activation not in ("", "linear") else ""


def layer_title(info: LayerInfo, previous: tuple[int, ...] = INPUT_SHAPE) -> str:
    """What a layer is, in words, from its config: 'Dense 512 (relu)', 'Conv 5×5 ×32 (relu)', 'Max-pool 2×2',
    'Output 10 (softmax)'. ``previous``: the output shape of the layer before (the 28×28×1 image first).
    Convolutions and pooling are 'valid' with stride 1 and stride = size (all the app loads), so the kernel is
    what the layer takes off the side and the pool is how much it divides it."""
    if info.kind == "conv" and len(previous) == 3 and len(info.output_shape) == 3:
        kh, kw = previous[0] - info.output_shape[0] + 1, previous[1] - info.output_shape[1] + 1
        return f"Conv {kh}×{kw} ×{info.units}{_act(info)}"
    if info.kind == "pool" and len(previous) == 3 and len(info.output_shape) == 3:
        ph, pw = (previous[i] // max(1, info.output_shape[i]) for i in (0, 1))
        return f"Max-pool {ph}×{pw}"
    if info.kind == "output":
        return f"Output {info.units}{_act(info)}"
    if info.kind == "dense":
        return f"Dense {info.units}{_act(info)}"
    return info.name


def layer_names(layers: list[LayerInfo]) -> list[str]:
    """The diagram's title of each layer, for the panels' headers: 'Dense 512 (relu)'; a title that two layers
    share gets its place among the diagram's layers (the input not counted): 'Dense 512 (relu), layer 2'."""
    titles = [layer_title(info, layers[i - 1].output_shape if i else INPUT_SHAPE) for i, info in enumerate(layers)]
    return [t if titles.count(t) == 1 else f"{t}, layer {i + 1}" for i, t in enumerate(titles)]


def describe(info: LayerInfo, previous: tuple[int, ...] = INPUT_SHAPE) -> tuple[str, str]:
    """Two short lines for a layer box: what it is, and its output shape and parameters (one number format,
    as in the panel's header: 401,920)."""
    shape = "×".join(map(str, info.output_shape))
    return layer_title(info, previous), f"{shape} · {info.params:,} params"


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

    def _texts(self) -> list[tuple[str, str, str]]:
        """(title, second line, kind) of each box, the input's first."""
        out = [("Input 28×28 image", "784 pixels", "input")]
        for i, info in enumerate(self._layers):
            out.append((*describe(info, self._layers[i - 1].output_shape if i else INPUT_SHAPE), info.kind))
        return out

    def _layout(self) -> list[QRectF]:
        """A box per layer, each as wide as its text needs (bold: selected) plus an equal share of the room
        left; when there is too little room, narrowed in proportion (and the text elided, see the tooltip)."""
        bold = QFont(self.font())
        bold.setBold(True)
        fm = QFontMetrics(bold)
        need = [max(fm.horizontalAdvance(title), fm.horizontalAdvance(sub)) + 16.0 for title, sub, _ in self._texts()]
        gap = 18.0
        room = self.width() - 2 - gap * (len(need) - 1)
        extra = room - sum(need)
        widths = [w + extra / len(need) for w in need] if extra >= 0 else [max(40.0, w * room / sum(need)) for w in need]
        h = self.height() - 4.0
        boxes, x = [], 1.0
        for w in widths:
            boxes.append(QRectF(x, 2, w, h))
            x += w + gap
        return boxes

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.WindowText)
        base = pal.color(QPalette.Base)
        self._boxes = self._layout()
        self._tips = {}
        small = QFont(self.font())
        for i, (rect, (title, sub, kind)) in enumerate(zip(self._boxes, self._texts())):
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
            self._tips[i] = f"{title}\n{sub}" + (f"\nKeras layer “{self._layers[i - 1].name}”" if i else "")
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
