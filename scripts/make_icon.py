"""Draws resources/icon.png (256×256): a hand-drawn-style 7 on a rounded blue tile."""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

app = QGuiApplication(sys.argv)
img = QImage(256, 256, QImage.Format_ARGB32)
img.fill(Qt.transparent)
p = QPainter(img)
p.setRenderHint(QPainter.Antialiasing)
p.setBrush(QColor(38, 99, 221))
p.setPen(Qt.NoPen)
p.drawRoundedRect(QRectF(8, 8, 240, 240), 48, 48)
p.setPen(QPen(QColor(255, 255, 255), 26, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
path = QPainterPath(QPointF(70, 72))
path.lineTo(186, 72)
path.quadTo(QPointF(140, 130), QPointF(112, 196))
p.drawPath(path)
p.setPen(QPen(QColor(255, 255, 255, 150), 10, Qt.SolidLine, Qt.RoundCap))
p.drawLine(QPointF(100, 134), QPointF(168, 134))
p.end()
out = Path(__file__).resolve().parent.parent / "resources" / "icon.png"
img.save(str(out))
print(out)
