"""A small overview of a large graph in the corner of the canvas; click or drag to navigate."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsView, QWidget

SIZE = (180, 140)
MIN_NODES = 16  # shown automatically from this many nodes on


class Minimap(QWidget):
    """Draws the nodes of ``view``'s scene and the visible area; repaints at most every 100 ms."""

    def __init__(self, view: QGraphicsView) -> None:
        super().__init__(view)
        self.view = view
        self.resize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._path = QPainterPath()
        self._bounds = QRectF()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self.refresh)
        self.view.horizontalScrollBar().valueChanged.connect(self.update)
        self.view.verticalScrollBar().valueChanged.connect(self.update)

    def schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        scene = self.view.scene()
        self._path = scene.node_path() if scene is not None else QPainterPath()
        self._bounds = self._path.boundingRect().adjusted(-60, -60, 60, 60)
        self.update()

    def _scale(self) -> tuple[float, QPointF]:
        inner = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        if self._bounds.isEmpty():
            return 1.0, QPointF()
        scale = min(inner.width() / self._bounds.width(), inner.height() / self._bounds.height())
        offset = QPointF(inner.center().x() - self._bounds.center().x() * scale,
                         inner.center().y() - self._bounds.center().y() * scale)
        return scale, offset

    def paintEvent(self, event) -> None:
        scene = self.view.scene()
        if scene is None:
            return
        colors = scene.colors
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        background = QColor(colors.node)
        background.setAlpha(230)
        painter.setPen(QPen(colors.border, 1))
        painter.setBrush(background)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        scale, offset = self._scale()
        painter.translate(offset)
        painter.scale(scale, scale)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors.edge)
        painter.drawPath(self._path)
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        pen = QPen(colors.selection, 2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawRect(visible)

    def mousePressEvent(self, event) -> None:
        self._jump(event.position())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._jump(event.position())

    def _jump(self, point: QPointF) -> None:
        scale, offset = self._scale()
        self.view.centerOn((point - offset) / scale)
        self.update()
