"""A node's ports on the canvas: inputs spread along its top edge, the output at the middle of its
bottom edge; drag from one to another to connect."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from studio.ui.canvas import style

if TYPE_CHECKING:
    from studio.ui.canvas.node_item import NodeItem


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


class NodePorts:
    """The ports of ``item``: ``inputs`` by name, left to right, and ``output`` (None on an output node)."""

    def __init__(self, item: NodeItem) -> None:
        self.item = item
        self.inputs: dict[str, PortItem] = {}
        self.output: PortItem | None = None

    def matches(self, names: list[str], has_out: bool) -> bool:
        return list(self.inputs) == names and (self.output is not None) == has_out

    def make(self, names: list[str], has_out: bool, height: float) -> None:
        """Replace the ports: ``names`` as inputs, an output when ``has_out``, at a node ``height`` tall."""
        for port in [*self.inputs.values(), self.output]:
            if port is not None and port.scene() is not None:
                port.scene().removeItem(port)
        self.inputs = {}
        for index, name in enumerate(names):
            port = PortItem(self.item, name, True)
            port.setPos(-style.NODE_WIDTH / 2 + style.NODE_WIDTH * (index + 1) / (len(names) + 1), 0)
            self.inputs[name] = port
        self.output = PortItem(self.item, "out", False) if has_out else None
        self.place_output(height)

    def place_output(self, height: float) -> None:
        """The output at the middle of the bottom edge of a node ``height`` tall."""
        if self.output is not None:
            self.output.setPos(0, height)

    def input_pos(self, name: str) -> QPointF:
        """Where input ``name`` sits in the node's coordinates (the node's top centre if it has none)."""
        item = self.inputs.get(name)
        return item.pos() if item else QPointF(0, 0)

    def labels(self) -> list[tuple[str, float]]:
        """``(name, x)`` of each input, to be named on the node when it has more than one."""
        return [(name, port.pos().x()) for name, port in self.inputs.items()] if len(self.inputs) > 1 else []
