"""A connection: a top-to-bottom bezier from an output port to an input port, labelled with the
shape of the tensor it carries."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from studio.engine.spec.layout import ROW_HEIGHT
from studio.engine.spec.model import Edge
from studio.ui.canvas import style

ARROW = 7.0


TURN = 40.0  # vertical room a routed edge takes to turn
LONG = ROW_HEIGHT * 1.5  # edges spanning more than this may need routing around nodes


def bezier(start: QPointF, end: QPointF) -> QPainterPath:
    """A vertical S-curve from ``start`` (bottom of a node) down to ``end`` (top of another)."""
    bend = max(abs(end.y() - start.y()) * 0.5, TURN)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend - ARROW),
                 QPointF(end.x(), end.y() - ARROW))
    return path


def routed(start: QPointF, end: QPointF, blockers: Callable[[QRectF], list] | None) -> QPainterPath:
    """A path that keeps clear of nodes: down the source's column and turn at the end, or turn first
    and go down the target's column, or take a lane beside the nodes in the way. ``blockers(rect)``
    lists the node items inside a scene rectangle."""
    if blockers is None or end.y() - start.y() < LONG:
        return bezier(start, end)
    tip = QPointF(end.x(), end.y() - ARROW)
    path = QPainterPath(start)
    if not blockers(QRectF(start.x() - 6, start.y() + 4, 12, end.y() - start.y() - 2 * TURN)):
        path.lineTo(start.x(), end.y() - 3 * TURN)
        path.cubicTo(QPointF(start.x(), end.y() - 1.5 * TURN), QPointF(end.x(), end.y() - 1.5 * TURN), tip)
        return path
    if not blockers(QRectF(end.x() - 6, start.y() + 2 * TURN, 12, end.y() - start.y() - 2 * TURN - 4)):
        path.cubicTo(QPointF(start.x(), start.y() + 1.5 * TURN), QPointF(end.x(), start.y() + 1.5 * TURN),
                     QPointF(end.x(), start.y() + 3 * TURN))
        path.lineTo(tip)
        return path
    left, right = sorted((start.x(), end.x()))
    items = blockers(QRectF(left - 6, start.y() + 4, right - left + 12, end.y() - start.y() - 8))
    lane = max((item.sceneBoundingRect().right() for item in items), default=right) + 24
    path.cubicTo(QPointF(start.x(), start.y() + TURN), QPointF(lane, start.y() + TURN),
                 QPointF(lane, start.y() + 2 * TURN))
    path.lineTo(lane, end.y() - 2 * TURN)
    path.cubicTo(QPointF(lane, end.y() - TURN), QPointF(end.x(), end.y() - TURN), tip)
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
            self.update_path(text)

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def update_path(self, label: str | None = None) -> None:
        """Route the path again (an end moved) and place the label (``label``: a new text)."""
        label = self.label if label is None else label
        start, end = self.src.output_anchor(), self.dst.input_anchor(self.edge.port)
        scene = self.scene()
        path = routed(start, end, self._blockers if scene is not None else None)
        if label:
            width = QFontMetricsF(style.fonts()[2]).horizontalAdvance(label) + 10
            middle = path.pointAtPercent(0.5)
            label_rect = QRectF(middle.x() - width / 2, middle.y() - 7, width, 14)
        else:
            label_rect = QRectF()
        self.prepareGeometryChange()  # while boundingRect() is still the old one: that area is repainted
        self.label, self._label_rect, self._end = label, label_rect, end
        self.setPath(path)

    def _blockers(self, rect: QRectF) -> list:
        """Node items other than this edge's ends inside ``rect``."""
        ends = (self.src, self.dst)
        return [item for item in self.scene().items(rect) if hasattr(item, "body_rect") and item not in ends]

    def is_long(self) -> bool:
        return self.dst.input_anchor(self.edge.port).y() - self.src.output_anchor().y() >= LONG

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
