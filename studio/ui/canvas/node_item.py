"""A layer on the canvas: header with id and type, key arguments, output shape, parameter count,
input ports on top, the output port below, an error badge with the message on hover.

The item composes its ports (:mod:`~studio.ui.canvas.ports`), its face, what it shows
(:mod:`~studio.ui.canvas.node_face`), and paints that face (:mod:`~studio.ui.canvas.node_paint`).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from studio.engine.checkpoints.marks import NodeMark
from studio.engine.spec.build import Issue, NodeInfo
from studio.engine.spec.model import Node
from studio.ui.canvas import style
from studio.ui.canvas.marks import mark_labels
from studio.ui.canvas.node_face import NodeFace, node_face, node_tooltip
from studio.ui.canvas.node_paint import BADGE_RADIUS, paint_node
from studio.ui.canvas.ports import NodePorts, PortItem


class NodeItem(QGraphicsItem):
    """One node of the graph; ``pos()`` is the centre of its top edge, as in the spec."""

    def __init__(self, node: Node, ports: list[str]) -> None:
        super().__init__()
        self.node_id = node.id
        self.edges: set = set()
        self.ports = NodePorts(self)
        self.expanded = False
        self.info: NodeInfo | None = None
        self.issues: list[Issue] = []
        self.mark: NodeMark | None = None  # what restores did to it (pills under the node)
        self.face: NodeFace | None = None  # what it shows now
        self._node = node
        self.height = style.NODE_HEIGHT
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setPos(*node.pos)
        self.set_node(node, ports)

    @property
    def in_ports(self) -> dict[str, PortItem]:
        return self.ports.inputs

    @property
    def out_port(self) -> PortItem | None:
        return self.ports.output

    # ---- content ------------------------------------------------------------------------------
    def colors(self):
        return self.scene().colors

    def set_node(self, node: Node, ports: list[str]) -> None:
        """Take the node's current fields and input ports (after an edit)."""
        self._node = node
        self.node_id = node.id
        has_out = node.type != "output"
        if not self.ports.matches(ports, has_out):
            self.ports.make(ports, has_out, self.height)
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

    def _refresh(self, force: bool = False) -> None:
        face = node_face(self._node, self.info, self.issues, self.mark, self.expanded)
        if face == self.face and not force:
            return
        self.face = face
        if face.height != self.height:
            self.prepareGeometryChange()
            self.height = face.height
            self.ports.place_output(self.height)
            for edge in self.edges:
                edge.update_path()
        self.setToolTip(node_tooltip(self._node, self.issues, self.mark))
        self.update()

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
        return self.mapToScene(self.ports.input_pos(port))

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
        paint_node(painter, self.body_rect(), self.face, self.colors(),
                   lod=option.levelOfDetailFromTransform(painter.worldTransform()),
                   selected=self.isSelected(), port_labels=self.ports.labels())
