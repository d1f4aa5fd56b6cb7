"""Icons drawn with QPainter: one coloured tile with a glyph per palette category."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from studio.ui.theme import category_color

SIZE = 64


@cache
def category_icon(category: str) -> QIcon:
    """A rounded tile in the category's colour with a white glyph (cached per category)."""
    icon = QIcon()
    for size in (16, 24, 32, 64):
        icon.addPixmap(_tile(category, size))
    return icon


def _tile(category: str, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / SIZE, size / SIZE)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(category_color(category))
    painter.drawRoundedRect(QRectF(2, 2, 60, 60), 12, 12)
    pen = QPen(QColor("white"), 4.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    GLYPHS.get(category, _glyph_template)(painter)
    painter.end()
    return pixmap


def _glyph_io(p: QPainter) -> None:
    p.drawLine(QPointF(32, 12), QPointF(32, 40))
    p.drawPolyline([QPointF(22, 30), QPointF(32, 40), QPointF(42, 30)])
    p.drawLine(QPointF(18, 50), QPointF(46, 50))


def _glyph_conv(p: QPainter) -> None:
    p.setBrush(QColor("white"))
    p.setPen(Qt.PenStyle.NoPen)
    for row in range(3):
        for col in range(3):
            p.drawRoundedRect(QRectF(15 + col * 12.5, 15 + row * 12.5, 9, 9), 2, 2)


def _glyph_pool(p: QPainter) -> None:
    path = QPainterPath()
    path.moveTo(12, 16)
    path.lineTo(52, 16)
    path.lineTo(40, 48)
    path.lineTo(24, 48)
    path.closeSubpath()
    p.drawPath(path)


def _glyph_dense(p: QPainter) -> None:
    left = [QPointF(16, 18 + i * 14) for i in range(3)]
    right = [QPointF(48, 25 + i * 14) for i in range(2)]
    thin = QPen(QColor(255, 255, 255, 200), 2.2)
    p.save()
    p.setPen(thin)
    for a in left:
        for b in right:
            p.drawLine(a, b)
    p.restore()
    p.setBrush(QColor("white"))
    for point in left + right:
        p.drawEllipse(point, 4, 4)


def _glyph_norm(p: QPainter) -> None:
    path = QPainterPath(QPointF(10, 48))
    path.cubicTo(QPointF(24, 48), QPointF(24, 14), QPointF(32, 14))
    path.cubicTo(QPointF(40, 14), QPointF(40, 48), QPointF(54, 48))
    p.drawPath(path)


def _glyph_activation(p: QPainter) -> None:
    p.drawPolyline([QPointF(10, 44), QPointF(32, 44), QPointF(54, 16)])


def _glyph_merge(p: QPainter) -> None:
    p.drawLine(QPointF(16, 12), QPointF(32, 34))
    p.drawLine(QPointF(48, 12), QPointF(32, 34))
    p.drawLine(QPointF(32, 34), QPointF(32, 52))


def _glyph_shape(p: QPainter) -> None:
    p.drawRect(QRectF(12, 14, 14, 36))
    p.drawRect(QRectF(34, 26, 20, 12))


def _glyph_dropout(p: QPainter) -> None:
    for row in range(3):
        for col in range(3):
            center = QPointF(18 + col * 14, 18 + row * 14)
            p.setBrush(QColor("white") if (row + col) % 2 == 0 else Qt.BrushStyle.NoBrush)
            p.drawEllipse(center, 4, 4)


def _glyph_blocks(p: QPainter) -> None:
    for offset in (0, 8, 16):
        p.drawRoundedRect(QRectF(12 + offset, 12 + offset, 24, 24), 4, 4)


def _glyph_template(p: QPainter) -> None:
    p.drawRoundedRect(QRectF(16, 10, 32, 44), 4, 4)
    for y in (22, 32, 42):
        p.drawLine(QPointF(23, y), QPointF(41, y))


GLYPHS = {
    "Input/Output": _glyph_io, "Convolution": _glyph_conv, "Pooling": _glyph_pool, "Dense": _glyph_dense,
    "Normalisation": _glyph_norm, "Activation": _glyph_activation, "Merge": _glyph_merge,
    "Shape": _glyph_shape, "Regularisation": _glyph_dropout, "Blocks": _glyph_blocks,
    "Templates": _glyph_template,
}
