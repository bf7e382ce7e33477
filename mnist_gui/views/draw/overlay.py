"""The digits of a number drawn over the canvas: a box per digit and a tag with its answer above it.

Plain functions over the boxes in widget pixels, so the canvas keeps only drawing and its geometry.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen

from mnist_gui.views.draw.items import Overlay
from mnist_gui.views.theme import AMBER, AMBER_TEXT

PAPER = QColor(255, 255, 255)  # the light theme's canvas, under a faded tag
INK = QColor(28, 28, 30)  # a light-theme tag's text when white would be faint on it
TAG_H = 20  # height in px of a group's answer tag above its box (clicking it selects the group)
MARGIN = 4  # px between a digit's ink and its box


def tag_rects(overlay: list[Overlay], boxes: list[QRectF], fm: QFontMetrics) -> list[QRectF]:
    """Each group's answer tag: above its box, or below it when that would cover the previous tag
    (narrow digits such as 1s side by side) or leave the widget. ``boxes``: the groups' boxes in pixels."""
    rects: list[QRectF] = []
    for ov, box in zip(overlay, boxes):
        r = box.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        tag = QRectF(r.left(), r.top() - TAG_H, fm.horizontalAdvance(ov.text) + 12, TAG_H)
        if tag.top() < 0 or (rects and tag.intersects(rects[-1])):
            tag.moveTop(r.bottom())
        rects.append(tag)
    return rects


def overlay_colors(low: bool, selected: bool, dark: bool) -> tuple[QColor, QColor]:
    """A group's (box pen, tag fill): blue, or amber when unsure. An unselected box is fainter on white paper;
    on the dark theme's near-black one it is a light, opaque shade instead (a faded one all but vanishes)."""
    tag = QColor(*AMBER) if low else QColor(42, 130, 218)
    if dark:
        box = QColor(tag) if selected else (QColor(*AMBER_TEXT[True]) if low else QColor(120, 180, 255))
        return box, tag  # the tag stays opaque: white text on it stays readable
    if not low:
        tag = QColor(28, 110, 200)  # a deeper blue on white paper: white text on the selected tag reads at 5:1
    tag.setAlpha(255 if selected else 150)
    return QColor(tag), tag


def composited(fill: QColor, paper: QColor = PAPER) -> QColor:
    """``fill`` as it shows when painted over ``paper`` (its alpha blended away): what a tag's text sits on."""
    a = fill.alphaF()
    return QColor(*(round(a * c + (1 - a) * b) for c, b in zip(fill.getRgb()[:3], paper.getRgb()[:3])))


def luminance(c: QColor) -> float:
    """WCAG relative luminance of an opaque colour."""
    lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def tag_text_color(low: bool, selected: bool, dark: bool) -> QColor:
    """A tag's text: white on the dark theme's opaque tags; on the light theme's white paper, white or near-black,
    whichever reads better on the tag as composited there (a faded tag is too pale for white text)."""
    white = QColor(255, 255, 255)
    if dark:
        return white
    under = composited(overlay_colors(low, selected, dark)[1])
    return white if contrast_ratio(white, under) >= contrast_ratio(INK, under) else INK


def paint_overlay(p: QPainter, overlay: list[Overlay], boxes: list[QRectF], tags: list[QRectF], dark: bool = False) -> None:
    """Boxes (the selected one solid, an unsure one amber) and their answer tags."""
    for ov, box, tag in zip(overlay, boxes, tags):
        pen, fill = overlay_colors(ov.low, ov.selected, dark)
        width = 2.5 if ov.selected else (1.6 if dark else 1.2)
        p.setPen(QPen(pen, width, Qt.SolidLine if ov.selected else Qt.DashLine))
        p.setBrush(Qt.NoBrush)
        p.drawRoundedRect(box.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN), 4, 4)
        p.setPen(Qt.NoPen)
        p.setBrush(fill)
        p.drawRoundedRect(tag, 3, 3)
        p.setPen(tag_text_color(ov.low, ov.selected, dark))
        p.drawText(tag, Qt.AlignCenter, ov.text)


def overlay_at(pos: QPointF, boxes: list[QRectF], tags: list[QRectF], with_boxes: bool) -> int:
    """Index of the group whose tag (or, with ``with_boxes``, box) is at ``pos``; -1 when none."""
    for i, (box, tag) in enumerate(zip(boxes, tags)):
        if tag.contains(pos) or (with_boxes and box.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN).contains(pos)):
            return i
    return -1
