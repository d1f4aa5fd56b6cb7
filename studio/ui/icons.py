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


def action_icon(name: str, color: QColor) -> QIcon:
    """A line icon for a toolbar action (zoom_in, zoom_out, fit, arrange, group, defaults, undo, redo)."""
    icon = QIcon()
    for size in (16, 24, 32, 48):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(size / SIZE, size / SIZE)
        painter.setPen(QPen(color, 5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        ACTION_GLYPHS[name](painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _magnifier(p: QPainter, plus: bool) -> None:
    p.drawEllipse(QPointF(27, 27), 16, 16)
    p.drawLine(QPointF(39, 39), QPointF(54, 54))
    p.drawLine(QPointF(19, 27), QPointF(35, 27))
    if plus:
        p.drawLine(QPointF(27, 19), QPointF(27, 35))


def _fit(p: QPainter) -> None:
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        corner = QPointF(32 + sx * 22, 32 + sy * 22)
        p.drawPolyline([corner + QPointF(0, -sy * 12), corner, corner + QPointF(-sx * 12, 0)])
    p.drawRect(QRectF(24, 24, 16, 16))


def _arrange(p: QPainter) -> None:
    for y in (8, 26, 44):
        p.drawRoundedRect(QRectF(20, y, 24, 12), 3, 3)
    p.drawLine(QPointF(32, 20), QPointF(32, 26))
    p.drawLine(QPointF(32, 38), QPointF(32, 44))


def _group(p: QPainter) -> None:
    p.drawRoundedRect(QRectF(14, 14, 16, 16), 3, 3)
    p.drawRoundedRect(QRectF(34, 34, 16, 16), 3, 3)
    dashed = QPen(p.pen())
    dashed.setStyle(Qt.PenStyle.DashLine)
    dashed.setWidthF(3.5)
    p.setPen(dashed)
    p.drawRoundedRect(QRectF(6, 6, 52, 52), 8, 8)


def _defaults(p: QPainter) -> None:
    for y, knob in ((16, 40), (32, 22), (48, 34)):
        p.drawLine(QPointF(10, y), QPointF(54, y))
        p.setBrush(p.pen().color())
        p.drawEllipse(QPointF(knob, y), 5, 5)
        p.setBrush(Qt.BrushStyle.NoBrush)


def _curved_arrow(p: QPainter, mirror: bool) -> None:
    if mirror:
        p.translate(SIZE, 0)
        p.scale(-1, 1)
    path = QPainterPath(QPointF(14, 26))
    path.cubicTo(QPointF(24, 12), QPointF(50, 14), QPointF(50, 34))
    path.cubicTo(QPointF(50, 46), QPointF(40, 52), QPointF(32, 52))
    p.drawPath(path)
    p.drawPolyline([QPointF(12, 12), QPointF(14, 26), QPointF(28, 24)])


ACTION_GLYPHS = {
    "zoom_in": lambda p: _magnifier(p, True), "zoom_out": lambda p: _magnifier(p, False), "fit": _fit,
    "arrange": _arrange, "group": _group, "defaults": _defaults,
    "undo": lambda p: _curved_arrow(p, False), "redo": lambda p: _curved_arrow(p, True),
}
