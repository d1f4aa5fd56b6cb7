"""A connection: a top-to-bottom bezier from an output port to an input port, labelled with the
shape of the tensor it carries."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from studio.engine.spec.model import Edge
from studio.ui.canvas import style

ARROW = 7.0


def bezier(start: QPointF, end: QPointF) -> QPainterPath:
    """A vertical S-curve from ``start`` (bottom of a node) down to ``end`` (top of another)."""
    bend = max(abs(end.y() - start.y()) * 0.5, 40.0)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend - ARROW),
                 QPointF(end.x(), end.y() - ARROW))
    return path


class EdgeItem(QGraphicsPathItem):
    """Draws ``edge`` between two node items; selectable (Delete disconnects)."""

    def __init__(self, edge: Edge, src, dst) -> None:
        super().__init__()
        self.edge, self.src, self.dst = edge, src, dst
        self.label = ""
        self.highlighted = False
        self._label_rect = QRectF()
        self._end = QPointF()
        src.edges.add(self)
        dst.edges.add(self)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-1)
        self.update_path()

    def detach(self) -> None:
        self.src.edges.discard(self)
        self.dst.edges.discard(self)

    def set_label(self, text: str) -> None:
        if text != self.label:
            self.label = text
            self.update_path()

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def update_path(self) -> None:
        start, end = self.src.output_anchor(), self.dst.input_anchor(self.edge.port)
        self._end = end
        path = bezier(start, end)
        self.prepareGeometryChange()
        self.setPath(path)
        if self.label:
            width = QFontMetricsF(style.fonts()[2]).horizontalAdvance(self.label) + 10
            middle = path.pointAtPercent(0.5)
            self._label_rect = QRectF(middle.x() - width / 2, middle.y() - 7, width, 14)
        else:
            self._label_rect = QRectF()

    def boundingRect(self) -> QRectF:
        rect = self.path().boundingRect().adjusted(-ARROW, -2, ARROW, ARROW + 2)
        return rect.united(self._label_rect) if self.label else rect

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def paint(self, painter: QPainter, option, widget=None) -> None:
        colors = self.scene().colors
        color = colors.selection if self.isSelected() else colors.ok if self.highlighted else colors.edge
        width = 2.6 if self.isSelected() or self.highlighted else 1.6
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        end = self._end
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        tip = end.y() - ARROW
        painter.drawPolygon(QPolygonF([QPointF(end.x() - ARROW / 2, tip), QPointF(end.x() + ARROW / 2, tip),
                                       end]))
        if not self.label or option.levelOfDetailFromTransform(painter.worldTransform()) < 0.5:
            return
        background = QColor(colors.background)
        background.setAlpha(235)
        painter.setBrush(background)
        painter.setPen(QPen(colors.grid, 1))
        painter.drawRoundedRect(self._label_rect, 7, 7)
        painter.setFont(style.fonts()[2])
        painter.setPen(colors.label)
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)
