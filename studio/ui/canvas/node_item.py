"""A layer on the canvas: header with id and type, key arguments, output shape, parameter count,
input ports on top, the output port below, an error badge with the message on hover."""

from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from studio.engine.checkpoints.marks import NodeMark
from studio.engine.layers.registry import get_layer
from studio.engine.spec.block_analysis import instance_shapes
from studio.engine.spec.build import Issue, NodeInfo
from studio.engine.spec.model import Node
from studio.ui.canvas import style
from studio.ui.canvas.marks import MARK_COLORS, mark_labels, mark_parts, pill_text, tooltip_lines
from studio.ui.format import count_text, shape_text
from studio.ui.theme import category_color

BADGE_RADIUS = 8.0
ROW = 14.0


class PortItem(QGraphicsItem):
    """An input (top) or output (bottom) port; drag from one to another to connect."""

    def __init__(self, parent: NodeItem, name: str, is_input: bool) -> None:
        super().__init__(parent)
        self.node_item, self.name, self.is_input = parent, name, is_input
        self.state = ""  # "", "ok" or "bad" while a connection is dragged over it
        self.hovered = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        self.setToolTip(f"input '{name}'" if is_input else "output: drag to an input to connect")

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    def boundingRect(self) -> QRectF:
        return QRectF(-9, -9, 18, 18)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), 9, 9)
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        colors = self.node_item.colors()
        fill = {"ok": colors.ok, "bad": colors.error}.get(self.state, colors.node)
        if self.hovered and not self.state:
            fill = colors.selection
        painter.setPen(QPen(colors.edge if not self.state else fill.darker(130), 1.5))
        painter.setBrush(fill)
        radius = style.PORT_RADIUS + (1.5 if self.hovered or self.state else 0)
        painter.drawEllipse(QPointF(0, 0), radius, radius)

    def hoverEnterEvent(self, event) -> None:
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        self.update()

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.scene().begin_connection(self)
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event) -> None:
        self.scene().drag_connection(event.scenePos())

    def mouseReleaseEvent(self, event) -> None:
        self.scene().end_connection(event.scenePos())


class NodeItem(QGraphicsItem):
    """One node of the graph; ``pos()`` is the centre of its top edge, as in the spec."""

    def __init__(self, node: Node, ports: list[str]) -> None:
        super().__init__()
        self.node_id = node.id
        self.edges: set = set()
        self.in_ports: dict[str, PortItem] = {}
        self.out_port: PortItem | None = None
        self.expanded = False
        self.info: NodeInfo | None = None
        self.issues: list[Issue] = []
        self.mark: NodeMark | None = None  # what restores did to it (pills under the node)
        self._node = node
        self._signature: tuple = ()
        self._rows: list[tuple[str, str]] = []
        self.height = style.NODE_HEIGHT
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setPos(*node.pos)
        self.set_node(node, ports)

    # ---- content ------------------------------------------------------------------------------
    def colors(self):
        return self.scene().colors

    def set_node(self, node: Node, ports: list[str]) -> None:
        """Take the node's current fields and input ports (after an edit)."""
        self._node = node
        self.node_id = node.id
        has_out = node.type != "output"
        if list(self.in_ports) != ports or (self.out_port is not None) != has_out:
            self._make_ports(ports, has_out)
        self._refresh()

    def set_analysis(self, info: NodeInfo | None, issues: list[Issue]) -> None:
        """Show what analysis found; repaints only when something visible changed."""
        self.info, self.issues = info, issues
        self._refresh()

    def set_mark(self, mark: NodeMark | None) -> None:
        """Small labels on the node's lower edge (the checkpoint panel marks restored and frozen
        layers, inside a block with the share of its uses: "restored 1/3"); frozen in every use also
        tints the node."""
        if mark != self.mark:
            self.mark = mark
            self._refresh()

    @property
    def marks(self) -> tuple[str, ...]:
        """The labels shown: ``("restored", "frozen 1/3")``."""
        return mark_labels(self.mark)

    def toggle_expanded(self) -> None:
        """Show or hide the layers of a repeat/stack node in place."""
        if self._node.instance_count > 1 or self._node.stack is not None:
            self.expanded = not self.expanded
            self._refresh(force=True)

    def _make_ports(self, ports: list[str], has_out: bool) -> None:
        for port in [*self.in_ports.values(), self.out_port]:
            if port is not None and port.scene() is not None:
                port.scene().removeItem(port)
        self.in_ports = {}
        for index, name in enumerate(ports):
            port = PortItem(self, name, True)
            port.setPos(-style.NODE_WIDTH / 2 + style.NODE_WIDTH * (index + 1) / (len(ports) + 1), 0)
            self.in_ports[name] = port
        self.out_port = PortItem(self, "out", False) if has_out else None
        self._place_output()

    def _place_output(self) -> None:
        if self.out_port is not None:
            self.out_port.setPos(0, self.height)

    def _refresh(self, force: bool = False) -> None:
        node, info = self._node, self.info
        layer = get_layer(node.type)
        category = layer.category if layer else "Blocks"
        count = node.instance_count
        title = node.id + (f"  ×{count}" if count > 1 or node.stack is not None else "")
        type_name = layer.display_name if layer else node.type
        shape = shape_text(info.output_shape) if info and info.output_shape is not None else "?"
        params = f"{count_text(info.params)} params" if info and info.params else ""
        rows = []
        if self.expanded and info is not None:
            rows = [(name, shape_text(s)) for name, s in instance_shapes(node, info)]
        signature = (title, type_name, category, style.summary(node, info), shape, params,
                     tuple(i.message for i in self.issues), tuple(rows), node.share, self.mark)
        if signature == self._signature and not force:
            return
        self._signature = signature
        self._rows = rows
        height = style.NODE_HEIGHT + (len(rows) * ROW + 6 if rows else 0)
        if height != self.height:
            self.prepareGeometryChange()
            self.height = height
            self._place_output()
            for edge in self.edges:
                edge.update_path()
        self.setToolTip(self._tooltip(layer, type_name))
        self.update()

    def _tooltip(self, layer, type_name: str) -> str:
        parts = [f"<b>{html.escape(self.node_id)}</b> — {html.escape(type_name)}"]
        if layer is not None:
            parts.append(f"<span>{html.escape(layer.help)}</span>")
        if self._node.share:
            parts.append(f"shares weights with <b>{html.escape(self._node.share)}</b>")
        for issue in self.issues:
            where = f" ({html.escape(issue.arg)})" if issue.arg else ""
            parts.append(f"<span style='color:#d9342b'>⚠{where} {html.escape(issue.message)}</span>")
        parts.extend(html.escape(line, quote=False) for line in tooltip_lines(self.mark))
        return "<br>".join(parts)

    # ---- geometry -----------------------------------------------------------------------------
    def body_rect(self) -> QRectF:
        return QRectF(-style.NODE_WIDTH / 2, 0, style.NODE_WIDTH, self.height)

    def boundingRect(self) -> QRectF:
        return self.body_rect().adjusted(-2, -BADGE_RADIUS - 2, BADGE_RADIUS + 10, 10)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.body_rect(), style.CORNER, style.CORNER)
        return path

    def input_anchor(self, port: str) -> QPointF:
        item = self.in_ports.get(port)
        return self.mapToScene(item.pos() if item else QPointF(0, 0))

    def output_anchor(self) -> QPointF:
        return self.mapToScene(QPointF(0, self.height))

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event) -> None:
        self.scene().open_node(self.node_id)

    # ---- painting -----------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        colors = self.colors()
        title, type_name, category, summary, shape, params, messages, rows, _, _ = self._signature
        rect = self.body_rect()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._node.instance_count > 1 or self._node.stack is not None:
            painter.setPen(QPen(colors.border, 1))
            painter.setBrush(colors.node)
            for offset in (8, 4):
                painter.drawRoundedRect(rect.translated(offset, offset), style.CORNER, style.CORNER)
        if self.isSelected():
            border = QPen(colors.selection, 2.5)
        elif messages:
            border = QPen(colors.error, 1.8)
        else:
            border = QPen(colors.border, 1)
        if self._node.type == "block":
            border.setStyle(Qt.PenStyle.DashLine if not self.isSelected() else Qt.PenStyle.SolidLine)
        painter.setPen(border)
        painter.setBrush(colors.node)
        painter.drawRoundedRect(rect, style.CORNER, style.CORNER)
        header = QPainterPath()
        header.addRoundedRect(rect.adjusted(0.5, 0.5, -0.5, 0), style.CORNER, style.CORNER)
        band = QPainterPath()
        band.addRect(QRectF(rect.left(), rect.top(), rect.width(), style.HEADER_HEIGHT))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(category_color(category))
        painter.drawPath(header.intersected(band))
        header_font, body_font, small_font = style.fonts()
        text_rect = QRectF(rect.left() + 8, rect.top(), rect.width() - 16, style.HEADER_HEIGHT)
        if lod < 0.45:
            painter.setFont(header_font)
            painter.setPen(QColor("white"))
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
            self._paint_marks(painter, rect)
            self._paint_badge(painter, rect, messages, colors)
            return
        type_width = QFontMetricsF(small_font).horizontalAdvance(type_name) + 8
        if QFontMetricsF(header_font).horizontalAdvance(title) + type_width > text_rect.width():
            type_width = 0  # a long id wins over the type name (the colour and tooltip tell the type)
        else:
            painter.setFont(small_font)
            painter.setPen(QColor(255, 255, 255, 210))
            right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
            painter.drawText(text_rect, right, type_name)
        painter.setFont(header_font)
        painter.setPen(QColor("white"))
        title_rect = text_rect.adjusted(0, 0, -type_width, 0)
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         _elided(header_font, title, title_rect.width()))
        painter.setFont(body_font)
        line = QRectF(rect.left() + 8, rect.top() + style.HEADER_HEIGHT + 3, rect.width() - 16,
                      style.LINE_HEIGHT)
        painter.setPen(colors.text)
        painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         _elided(body_font, summary, line.width()))
        line.translate(0, style.LINE_HEIGHT)
        metrics = QFontMetricsF(body_font)
        shape_text_ = f"→ {shape}"
        if params and metrics.horizontalAdvance(f"{shape_text_}  {params}") > line.width():
            params = params.removesuffix(" params")  # keep the count, drop the word
        room = line.width() - (metrics.horizontalAdvance(params) + 8 if params else 0)
        painter.setPen(colors.error if shape == "?" and messages else colors.subtext)
        painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(shape_text_, Qt.TextElideMode.ElideRight, room))
        painter.setPen(colors.subtext)
        painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, params)
        if rows:
            self._paint_rows(painter, rect, rows, small_font, colors)
        if len(self.in_ports) > 1:
            painter.setFont(small_font)
            painter.setPen(colors.subtext)
            for name, port in self.in_ports.items():
                painter.drawText(QRectF(port.pos().x() + 7, -14, 60, 12), Qt.AlignmentFlag.AlignLeft, name)
        self._paint_marks(painter, rect)
        self._paint_badge(painter, rect, messages, colors)

    def _paint_marks(self, painter: QPainter, rect: QRectF) -> None:
        if self.mark is not None and self.mark.frozen and self.mark.all_frozen:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(80, 150, 230, 40))
            painter.drawRoundedRect(rect, style.CORNER, style.CORNER)
        font = style.fonts()[2]
        painter.setFont(font)
        left, right = rect.left() + 8, rect.right() - 8  # pills go left, then right: the port stays free
        for index, (kind, share) in enumerate(mark_parts(self.mark)):
            text = pill_text(kind, share)  # "⟲ restored 1/3": restored in one of three block uses
            width = QFontMetricsF(font).horizontalAdvance(text) + 10
            x = left if index % 2 == 0 else right - width
            pill = QRectF(x, rect.bottom() - 7, width, 14)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(MARK_COLORS.get(kind, "#6b6b6b")))
            painter.drawRoundedRect(pill, 7, 7)
            painter.setPen(QColor("white"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
            if index % 2 == 0:
                left += width + 4
            else:
                right -= width + 4

    def _paint_rows(self, painter: QPainter, rect: QRectF, rows, font, colors) -> None:
        top = rect.top() + style.NODE_HEIGHT
        painter.setPen(QPen(colors.border, 1))
        painter.drawLine(QPointF(rect.left() + 6, top - 2), QPointF(rect.right() - 6, top - 2))
        painter.setFont(font)
        for index, (name, shape) in enumerate(rows):
            row = QRectF(rect.left() + 12, top + index * ROW, rect.width() - 24, ROW)
            painter.setPen(colors.text)
            painter.drawText(row, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
            painter.setPen(colors.subtext)
            painter.drawText(row, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, shape)

    def _paint_badge(self, painter: QPainter, rect: QRectF, messages, colors) -> None:
        if not messages:
            return
        center = QPointF(rect.right() - 2, rect.top())
        painter.setPen(QPen(colors.node, 1.5))
        painter.setBrush(QBrush(colors.error))
        painter.drawEllipse(center, BADGE_RADIUS, BADGE_RADIUS)
        font = style.fonts()[0]
        painter.setFont(font)
        painter.setPen(QColor("white"))
        label = "!" if len(messages) == 1 else str(len(messages))
        painter.drawText(QRectF(center.x() - BADGE_RADIUS, center.y() - BADGE_RADIUS, 2 * BADGE_RADIUS,
                                2 * BADGE_RADIUS), Qt.AlignmentFlag.AlignCenter, label)


def _elided(font, text: str, width: float) -> str:
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, width)
