"""The canvas view: zoom with the wheel, pan with the middle button or space-drag, rubber-band
selection, fit to view, drops from the palette, a minimap for large graphs."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QGraphicsView, QMenu

from studio.ui.canvas import style
from studio.ui.canvas.minimap import MIN_NODES, Minimap
from studio.ui.canvas.node_item import NodeItem
from studio.ui.canvas.scene import CanvasScene
from studio.ui.mime import palette_entry

MIN_ZOOM, MAX_ZOOM = 0.08, 4.0
READABLE_ZOOM = 0.45  # below this node text is not drawn
EMPTY_HINT = ("Drag layers here from the palette (or select one and press Enter),\n"
              "or start from a template: File > New from Template.")
ZOOM_STEP = 1.2


class CanvasView(QGraphicsView):
    """Shows a :class:`CanvasScene`; ``menu_actions`` fill its context menu."""

    def __init__(self, scene: CanvasScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.menu_actions: list[QAction | None] = []
        self.minimap_mode = "auto"  # auto, on, off
        self._pan_from: QPoint | None = None
        self._space = False
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setAcceptDrops(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSceneRect(QRectF(-20000, -20000, 40000, 40000))
        self.minimap = Minimap(self)
        self._was_empty = not scene.nodes
        scene.changed.connect(self._scene_changed)
        scene.sigNote.connect(self._note_changed)
        self._update_minimap()

    def canvas(self) -> CanvasScene:
        return self.scene()

    # ---- zoom and pan -------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        factor = max(MIN_ZOOM / self.zoom, min(MAX_ZOOM / self.zoom, factor))
        self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def fit(self) -> None:
        """Show the whole graph, never magnified beyond 1:1 nor shrunk below a readable size; a graph
        too tall to read whole shows its top (the minimap shows the rest)."""
        rect = self.canvas().nodes_rect()
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        area = rect.adjusted(-40, -40, 40, 40)
        viewport = self.viewport().rect()
        zoom = min(viewport.width() / area.width(), viewport.height() / area.height(), 1.0)
        zoom = max(zoom, min(READABLE_ZOOM, viewport.width() / area.width()))
        self.resetTransform()
        self.scale(zoom, zoom)
        visible_height = viewport.height() / zoom
        if visible_height >= area.height():
            self.centerOn(area.center())
        else:
            self.centerOn(area.center().x(), area.top() + visible_height / 2)

    def center_on_node(self, node_id: str) -> None:
        item = self.canvas().nodes.get(node_id)
        if item is not None:
            self.canvas().select([node_id])
            self.centerOn(item.sceneBoundingRect().center())

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.zoom_by(ZOOM_STEP ** (delta / 120))
        else:
            super().wheelEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            point = event.position().toPoint()
            delta = point - self._pan_from
            self._pan_from = point
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else
                                      Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            return
        super().keyReleaseEvent(event)

    # ---- drops from the palette ---------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if palette_entry(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        entry = palette_entry(event.mimeData())
        if entry is None:
            super().dragMoveEvent(event)
            return
        position = self.mapToScene(event.position().toPoint())
        self.canvas().highlight_edge_at(position if entry["kind"] != "template" else None)
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self.canvas().highlight_edge_at(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        entry = palette_entry(event.mimeData())
        if entry is None:
            super().dropEvent(event)
            return
        self.canvas().highlight_edge_at(None)
        self.canvas().drop(entry, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
        self.setFocus()

    # ---- menu, background, minimap ------------------------------------------------------------
    def contextMenuEvent(self, event) -> None:
        item = self.itemAt(event.pos())
        while item is not None and not isinstance(item, NodeItem) and item.parentItem() is not None:
            item = item.parentItem()
        if item is not None and not item.isSelected():
            self.canvas().clearSelection()
            item.setSelected(True)
        menu = QMenu(self)
        for action in self.menu_actions:
            if action is None:
                menu.addSeparator()
            elif action.isEnabled():
                menu.addAction(action)
        menu.exec(event.globalPos())

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        colors = self.canvas().colors
        painter.fillRect(rect, colors.background)
        if self.zoom < 0.35:
            return
        step = style.GRID * (1 if self.zoom >= 0.7 else 5)
        pen = QPen(colors.grid, 2 if step == style.GRID else 3)
        pen.setCosmetic(True)
        painter.setPen(pen)
        left, top = int(rect.left() // step) * step, int(rect.top() // step) * step
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += step
            y += step
        painter.drawPoints(points)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        note = self.canvas().note
        empty = not self.canvas().nodes
        if not note and not empty:
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(self.canvas().colors.subtext)
        painter.setFont(style.fonts()[1])
        painter.drawText(QRectF(12, 8, self.viewport().width() - 24, 20), Qt.AlignmentFlag.AlignLeft, note)
        if empty:
            painter.drawText(QRectF(self.viewport().rect()), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
        painter.restore()

    def set_minimap_mode(self, mode: str) -> None:
        self.minimap_mode = mode
        self._update_minimap()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_minimap()

    def _place_minimap(self) -> None:
        viewport = self.viewport().geometry()
        self.minimap.move(viewport.right() - self.minimap.width() - 10,
                          viewport.bottom() - self.minimap.height() - 10)

    def _note_changed(self, text: str) -> None:
        self.viewport().update()

    def _scene_changed(self, regions) -> None:
        empty = not self.canvas().nodes
        if empty != self._was_empty:  # the hint comes or goes: repaint all of it
            self._was_empty = empty
            self.viewport().update()
        self._update_minimap()

    def _update_minimap(self) -> None:
        count = len(self.canvas().nodes)
        show = self.minimap_mode == "on" or (self.minimap_mode == "auto" and count >= MIN_NODES)
        first = show and not self.minimap.isVisible()
        self.minimap.setVisible(show)
        if show:
            self._place_minimap()
            if first:
                self.minimap.refresh()
            else:
                self.minimap.schedule()
