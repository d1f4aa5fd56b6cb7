"""The scene of one graph (the model or a block): it draws the spec and redraws from its events.

Items never change the spec themselves: gestures call the :class:`GraphEditor`, which pushes
undoable commands; the spec's change events come back here and update the items. Analysis results
(shapes, parameters, located issues) arrive through the document's ``sigAnalysed``.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from studio.engine.checkpoints.marks import NodeMark
from studio.engine.spec.analysis import Analysis
from studio.engine.spec.block_analysis import analyze_block
from studio.engine.spec.edits import (
    connection_problem,
    free_port,
    node_ports,
)
from studio.engine.spec.model import Edge, Graph, SpecEvent
from studio.ui.canvas import style
from studio.ui.canvas.edge_item import EdgeItem, bezier
from studio.ui.canvas.gestures import SceneGestures
from studio.ui.canvas.node_item import NodeItem
from studio.ui.canvas.ports import PortItem
from studio.ui.document import ProjectDocument
from studio.ui.editing import GraphEditor
from studio.ui.format import shape_text
from studio.ui.theme import canvas_colors

WRONG_DIRECTION = "connect an output (bottom of a layer) to an input (top of a layer)"


class CanvasScene(SceneGestures, QGraphicsScene):
    """Items for graph ``block`` (None: the model) of ``document``'s spec."""

    sigMessage = Signal(str)  # a refusal or hint for the status line
    sigOpenBlock = Signal(str)  # block name to open in its own tab
    sigNote = Signal(str)  # what the canvas shows (e.g. where a block's shapes come from)
    sigAnalysed = Signal(object)  # this graph's Analysis (None: a block without a use), items updated

    def __init__(self, document: ProjectDocument, block: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.document, self.block = document, block
        self.editor = GraphEditor(document, block)
        self.editor.measure = self.node_boxes
        self.colors = canvas_colors()
        self.nodes: dict[str, NodeItem] = {}
        self.node_marks: dict[str, NodeMark] = {}  # node id -> what restores did (see set_node_marks)
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.analysis: Analysis | None = None
        self.note = ""
        self._drag_port: PortItem | None = None
        self._drag_line: QGraphicsPathItem | None = None
        self._drag_target: PortItem | None = None
        self._paste_count = 0
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self._reroute_timer = QTimer(self)
        self._reroute_timer.setSingleShot(True)
        self._reroute_timer.setInterval(0)
        self._reroute_timer.timeout.connect(self.reroute)
        document.spec.subscribe(self._on_event)
        document.sigAnalysed.connect(self._on_analysis)
        self._attached = True
        self.rebuild()

    @property
    def spec(self):
        return self.document.spec

    @property
    def graph(self) -> Graph:
        return self.editor.graph

    def detach(self) -> None:
        """Stop following the document (before the scene is thrown away); once is enough."""
        if not self._attached:
            return
        self._attached = False
        self.document.spec.unsubscribe(self._on_event)
        with contextlib.suppress(RuntimeError, TypeError):
            self.document.sigAnalysed.disconnect(self._on_analysis)

    # ---- building -----------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recreate every item from the spec (file load, theme change)."""
        self.nodes, self.edge_items = {}, {}  # first: clear() reports the selection change of dead items
        self.clear()
        if self.block is not None and self.block not in self.spec.blocks:
            return
        for node in self.graph.nodes.values():
            self._add_node(node.id)
        for edge in self.graph.edges:
            self._add_edge(edge)
        self.reroute()
        self._on_analysis(self.document.analysis)

    def reroute(self) -> None:
        """Route the long connections around the nodes again (after nodes moved, came or went)."""
        for item in self.edge_items.values():
            if item.is_long():
                item.update_path()

    def set_colors(self, colors) -> None:
        self.colors = colors
        for item in self.items():
            item.update()
        self.update()

    def _add_node(self, node_id: str) -> None:
        node = self.graph.nodes[node_id]
        item = NodeItem(node, node_ports(self.spec, node, self.block))
        self.addItem(item)
        self.nodes[node_id] = item
        item.set_mark(self.node_marks.get(node_id))

    def set_node_marks(self, marks: dict[str, NodeMark]) -> None:
        """Labels under nodes, e.g. ``{"conv1": NodeMark(restored=1, frozen=1)}`` from the checkpoint
        panel; nodes not named lose theirs."""
        self.node_marks = dict(marks)
        for node_id, item in self.nodes.items():
            item.set_mark(self.node_marks.get(node_id))

    def _add_edge(self, edge: Edge) -> None:
        src, dst = self.nodes.get(edge.src), self.nodes.get(edge.dst)
        if src is None or dst is None or edge in self.edge_items:
            return
        if edge.port not in dst.in_ports:  # a port the node does not have: validation reports it
            return
        item = EdgeItem(edge, src, dst)
        self.addItem(item)
        self.edge_items[edge] = item

    def _remove_edge(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        if item is not None:
            item.detach()
            self.removeItem(item)

    def _refresh_node(self, node_id: str) -> None:
        item = self.nodes.get(node_id)
        if item is None:
            return
        node = self.graph.nodes[node_id]
        before = list(item.in_ports)
        item.set_node(node, node_ports(self.spec, node, self.block))
        if list(item.in_ports) != before:
            for edge in [e for e in self.edge_items if e.dst == node_id]:
                self._remove_edge(edge)
            for edge in self.graph.edges:
                if edge.dst == node_id:
                    self._add_edge(edge)

    # ---- spec events --------------------------------------------------------------------------
    def _on_event(self, event: SpecEvent) -> None:
        if event.kind == "reset" or (event.kind == "block_removed" and event.block == self.block):
            self.rebuild()
            return
        if event.kind in ("block_added", "block_removed") or event.block != self.block:
            self._refresh_block_uses(event)
            return
        if event.kind in ("node_added", "node_removed", "node_moved"):
            self._reroute_timer.start()
        if event.kind == "node_added":
            self._add_node(event.node)
        elif event.kind == "node_removed":
            item = self.nodes.pop(event.node, None)
            if item is not None:
                for edge in list(item.edges):
                    self._remove_edge(edge.edge)
                self.removeItem(item)
        elif event.kind == "node_changed":
            self._refresh_node(event.node)
        elif event.kind == "node_moved":
            item, pos = self.nodes.get(event.node), self.graph.nodes[event.node].pos
            if item is not None and (item.pos().x(), item.pos().y()) != pos:
                item.setPos(*pos)
        elif event.kind == "node_renamed":
            self._renamed(event.data, event.node)
        elif event.kind == "edge_added":
            self._add_edge(event.edge)
        elif event.kind == "edge_removed":
            self._remove_edge(event.edge)

    def _renamed(self, old_id: str, new_id: str) -> None:
        item = self.nodes.pop(old_id)
        for edge in [e for e in self.edge_items if old_id in (e.src, e.dst)]:
            self._remove_edge(edge)
        self.nodes[new_id] = item
        item.set_node(self.graph.nodes[new_id], node_ports(self.spec, self.graph.nodes[new_id], self.block))
        for edge in self.graph.edges:
            if new_id in (edge.src, edge.dst):
                self._add_edge(edge)

    def _refresh_block_uses(self, event: SpecEvent) -> None:
        """A block's inputs changed elsewhere: its uses here get new ports."""
        for node_id, node in self.graph.nodes.items():
            if node.type == "block":
                self._refresh_node(node_id)

    # ---- analysis -----------------------------------------------------------------------------
    def _on_analysis(self, analysis: Analysis) -> None:
        if self.block is None:
            result = analysis
            self._set_note("")
        elif self.block in self.spec.blocks:
            result = analyze_block(self.spec, self.block, analysis)
            self._set_note(f"block {self.block}: shapes as seen by its first use" if result else
                           f"block {self.block} is not used by the model, so its shapes are unknown")
        else:
            return
        self.analysis = result
        issues: dict[str, list] = {}
        for issue in result.issues if result else []:
            issues.setdefault(issue.node, []).append(issue)
        infos = result.nodes if result else {}
        for node_id, item in self.nodes.items():
            item.set_analysis(infos.get(node_id), issues.get(node_id, []))
        for edge, item in self.edge_items.items():
            info = infos.get(edge.src)
            item.set_label(shape_text(info.output_shape) if info and info.output_shape is not None else "")
        self.sigAnalysed.emit(result)

    def _set_note(self, text: str) -> None:
        if text != self.note:
            self.note = text
            self.sigNote.emit(text)

    # ---- selection ----------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [node_id for node_id, item in self.nodes.items() if item.isSelected()]

    def selected_edges(self) -> list[Edge]:
        return [edge for edge, item in self.edge_items.items() if item.isSelected()]

    def select(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)

    def select_all(self) -> None:
        self.select(list(self.nodes))

    # ---- moves --------------------------------------------------------------------------------
    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.commit_moves()

    def commit_moves(self) -> None:
        """Turn dragged item positions into one undoable move (snapped to the grid)."""
        moves = {}
        for node_id, item in self.nodes.items():
            old = self.graph.nodes[node_id].pos
            if (item.pos().x(), item.pos().y()) != old:
                moves[node_id] = (old, (style.snap(item.pos().x()), style.snap(item.pos().y())))
        if moves:
            self.editor.move(moves)
            for node_id in moves:  # a move snapped back to where it was sends no event
                self.nodes[node_id].setPos(*self.graph.nodes[node_id].pos)

    # ---- connecting ---------------------------------------------------------------------------
    def begin_connection(self, port: PortItem) -> None:
        self._drag_port = port
        self._drag_line = QGraphicsPathItem()
        pen = QPen(self.colors.selection, 2, Qt.PenStyle.DashLine)
        self._drag_line.setPen(pen)
        self._drag_line.setZValue(5)
        self.addItem(self._drag_line)

    def drag_connection(self, pos: QPointF) -> None:
        if self._drag_port is None:
            return
        start = self._drag_port.scenePos()
        self._drag_line.setPath(bezier(pos, start) if self._drag_port.is_input else bezier(start, pos))
        target = self.port_at(pos, self._drag_port)
        if target is not self._drag_target and self._drag_target is not None:
            self._drag_target.set_state("")
        self._drag_target = target
        if target is not None:
            problem = self.connection_between(self._drag_port, target)[1]
            target.set_state("bad" if problem else "ok")
            target.setToolTip(problem or f"connect to '{target.name}'")

    def end_connection(self, pos: QPointF) -> None:
        """Finish a drag from a port: connect, or say why not."""
        start = self._drag_port
        if self._drag_line is not None:
            self.removeItem(self._drag_line)
        if self._drag_target is not None:
            self._drag_target.set_state("")
        self._drag_port = self._drag_line = self._drag_target = None
        if start is None:
            return
        target = self.port_at(pos, start)
        if target is None:
            return
        edge, problem = self.connection_between(start, target)
        if problem:
            self.sigMessage.emit(f"Cannot connect: {problem}")
            return
        self.run(lambda: self.editor.connect(edge))

    def connection_between(self, a: PortItem, b: PortItem) -> tuple[Edge | None, str | None]:
        """The edge a drag from port ``a`` to port ``b`` means, and why it is refused (or None)."""
        if a.is_input == b.is_input:
            return None, WRONG_DIRECTION
        out, into = (b, a) if a.is_input else (a, b)
        edge = Edge(out.node_id, into.node_id, into.name)
        return edge, connection_problem(self.spec, edge, self.block)

    def port_at(self, pos: QPointF, start: PortItem) -> PortItem | None:
        """The port under ``pos``; over a node's body, its first free input (or its output)."""
        area = QRectF(pos.x() - 6, pos.y() - 6, 12, 12)
        for item in self.items(area):
            if isinstance(item, PortItem) and item is not start:
                return item
        for item in self.items(pos):
            if isinstance(item, NodeItem) and item.node_id != start.node_id:
                if start.is_input:
                    return item.out_port
                port = free_port(self.spec, self.graph.nodes[item.node_id], self.block)
                return item.in_ports.get(port) if port else None
        return None

    def node_boxes(self) -> dict[str, tuple[float, float, float, float]]:
        """Each node's body as drawn (left, top, width, height): an expanded node is taller."""
        boxes = {}
        for node_id, item in self.nodes.items():
            rect = item.mapRectToScene(item.body_rect())
            boxes[node_id] = (rect.left(), rect.top(), rect.width(), rect.height())
        return boxes

    def nodes_rect(self) -> QRectF:
        """The area the nodes cover (for fit to view)."""
        rect = QRectF()
        for item in self.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def node_path(self) -> QPainterPath:
        """Outlines of all nodes in scene coordinates (for the minimap)."""
        path = QPainterPath()
        for item in self.nodes.values():
            path.addRect(item.mapRectToScene(item.body_rect()))
        return path
