"""``ProjectorCanvas``: the 2-D projector view widget (zoom, pan, hover, click, rectangle and lasso).

The frame is painted by :class:`CloudRenderer` into a cached image only when the points, their look or
the camera change; hovering and rubber-band dragging repaint just the cached image plus an overlay.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from studio.ui.projector.camera import Camera
from studio.ui.projector.cloud import ROLE_COLORS, CloudRenderer, CloudStyle, Drawn
from studio.ui.projector.geometry import in_polygon, in_rect, pick
from studio.ui.projector.sprites import SpriteSheet

TOOLS = ("pan", "rect", "lasso")
CLICK_SLOP = 4  # px a press may move and still count as a click
WHEEL_STEP = 1.0018  # zoom factor per wheel angle unit (120 units per notch: x1.24)


class ProjectorCanvas(QWidget):
    """Draws a projection's points and turns mouse gestures into hover, click and selection signals."""

    sigHovered = Signal(int)  # point under the cursor, -1 when none
    sigClicked = Signal(int, bool)  # point clicked (-1: empty space), shift held
    sigSelected = Signal(object, bool)  # indices inside a rectangle or lasso (np.ndarray), shift held
    sigCameraChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.renderer = CloudRenderer()
        self.look = CloudStyle()
        self.camera = Camera()
        self.tool = "pan"
        self.hovered = -1
        self.title = ""  # drawn in the top-left corner (which checkpoint, when comparing)
        self._fitted = False  # the camera frames all points (kept so on resize) until a zoom or pan
        self._drawn: Drawn | None = None
        self._base: QImage | None = None  # the points layer
        self._base_drawn: Drawn | None = None
        self._frame: QImage | None = None  # the points layer plus emphasis
        self._press: QPointF | None = None
        self._drag: list[QPointF] = []
        self._panning = self._moved = False
        self._zoom_from: tuple[Camera, float, float, float] | None = None
        self._animation = QVariantAnimation(self, duration=160, startValue=0.0, endValue=1.0,
                                            easingCurve=QEasingCurve.Type.OutCubic)
        self._animation.valueChanged.connect(self._zoom_step)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)

    # ---- content ------------------------------------------------------------------------------
    def set_points(self, coords: np.ndarray, sheet: SpriteSheet | None = None, fit: bool = True) -> None:
        """Show ``coords`` ([N, 2]) with thumbnails from ``sheet``; ``fit`` frames them all."""
        self.renderer.set_points(coords, sheet if sheet is not None else self.renderer.sheet)
        if fit:
            self.fit()
        self.refresh()

    def refresh(self) -> None:
        """Repaint the frame after the points, colours or style changed."""
        self._base = self._frame = None
        self.update()

    def refresh_emphasis(self) -> None:
        """Repaint after only the emphasis changed (selection, neighbours, matches): the points layer
        under it is reused, so a click among 50,000 thumbnails redraws just the emphasised ones."""
        self._frame = None
        self.update()

    def fit(self) -> None:
        self._animation.stop()
        self.camera = self.camera.resized(self.width(), self.height()).fitted(
            self.renderer.coords, margin=self.look.sprite_size / 2 + 12)
        self._fitted = True
        self._camera_moved()

    def zoom(self, factor: float, x: float | None = None, y: float | None = None,
             animate: bool = True) -> None:
        """Zoom by ``factor`` about pixel ``(x, y)`` (default: the centre), smoothly when ``animate``."""
        x = self.width() / 2 if x is None else x
        y = self.height() / 2 if y is None else y
        self._fitted = False
        if not animate:
            self._animation.stop()
            self.camera = self.camera.zoomed(factor, x, y)
            self._camera_moved()
            return
        if self._animation.state() == QVariantAnimation.State.Running and self._zoom_from is not None:
            left = self._zoom_from[1] ** (1.0 - float(self._animation.currentValue()))
            factor *= left
            self._animation.stop()
        self._zoom_from = (self.camera, factor, x, y)
        self._animation.start()

    def _zoom_step(self, t: float) -> None:
        if self._zoom_from is not None:
            start, factor, x, y = self._zoom_from
            self.camera = start.zoomed(factor ** float(t), x, y)
            self._camera_moved()

    def _camera_moved(self) -> None:
        self._base = self._frame = None
        self.update()
        self.sigCameraChanged.emit()

    def render_image(self, width: int | None = None, height: int | None = None) -> QImage:
        """The current view (without hover or drag overlays) as an image, e.g. for a PNG export."""
        camera = self.camera.resized(width or self.width(), height or self.height())
        if (camera.width, camera.height) != (self.camera.width, self.camera.height):
            factor = min(camera.width / max(self.camera.width, 1), camera.height / max(self.camera.height, 1))
            camera = Camera(self.camera.center, self.camera.scale * factor, camera.width, camera.height)
        image = QImage(camera.width, camera.height, QImage.Format.Format_ARGB32_Premultiplied)
        self.look.background = self.palette().base().color()
        painter = QPainter(image)
        self.renderer.paint(painter, camera, self.look)
        painter.end()
        return image

    @property
    def fitted(self) -> bool:
        """True while the view frames all points (no zoom or pan since the last fit)."""
        return self._fitted

    def drawn(self) -> Drawn | None:
        """What the last frame drew (for picking and tests)."""
        return self._drawn

    # ---- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._frame is None or self._frame.size() != self.size() * self.devicePixelRatioF():
            self._render_frame()
        painter = QPainter(self)
        painter.drawImage(0, 0, self._frame)
        self._paint_overlay(painter)
        painter.end()

    def _render_frame(self) -> None:
        ratio = self.devicePixelRatioF()
        if self._base is None or self._base.size() != self.size() * ratio:
            self.look.background = self.palette().base().color()  # follows the light or dark theme
            self.camera = self.camera.resized(self.width(), self.height())
            self._base = QImage(self.size() * ratio, QImage.Format.Format_ARGB32_Premultiplied)
            self._base.setDevicePixelRatio(ratio)
            painter = QPainter(self._base)
            self._base_drawn = self.renderer.paint_points(painter, self.camera, self.look)
            painter.end()
        if not any(len(idx) for idx in self.renderer.emphasis.values()):
            self._frame, self._drawn = self._base, self._base_drawn
            return
        frame = self._base.copy()
        painter = QPainter(frame)
        self._drawn = self.renderer.paint_emphasis(painter, self.camera, self.look, self._base_drawn)
        painter.end()
        self._frame = frame

    def _paint_overlay(self, painter: QPainter) -> None:
        if self.title:
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(8, 4, self.width() - 16, 20), Qt.AlignmentFlag.AlignLeft, self.title)
        if 0 <= self.hovered < len(self.renderer.coords) and self._drawn is not None:
            where = self.camera.to_screen(self.renderer.coords[[self.hovered]])
            self.renderer.outline(painter, where, self._drawn.size, ROLE_COLORS["hovered"])
        if len(self._drag) > 1:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(ROLE_COLORS["selected"]), 1.5, Qt.PenStyle.DashLine))
            fill = QColor(ROLE_COLORS["selected"])
            fill.setAlpha(40)
            painter.setBrush(fill)
            if self.tool == "rect":
                painter.drawRect(QRectF(self._drag[0], self._drag[-1]))
            else:
                painter.drawPolygon(QPolygonF(self._drag))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        had_size = self.camera.width > 1
        self.camera = self.camera.resized(self.width(), self.height())
        if (self._fitted or not had_size) and len(self.renderer.coords):
            self.fit()
        self._base = self._frame = None
        super().resizeEvent(event)

    # ---- mouse and keys -----------------------------------------------------------------------
    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            pos = event.position()
            self.zoom(WHEEL_STEP ** delta, pos.x(), pos.y())
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._press = event.position()
        self._moved = False
        self._panning = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self.tool == "pan")
        self._drag = [] if self._panning else [event.position()]

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        if self._press is None:
            self._set_hovered(self.point_at(pos.x(), pos.y()))
            return
        self._moved = self._moved or (pos - self._press).manhattanLength() > CLICK_SLOP
        if self._panning:
            last = self._drag[-1] if self._drag else self._press
            self.camera = self.camera.panned(pos.x() - last.x(), pos.y() - last.y())
            self._fitted = False
            self._drag = [pos]
            self._camera_moved()
        else:
            self._drag = [self._drag[0], pos] if self.tool == "rect" else self._drag + [pos]
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        press, self._press = self._press, None
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        pos = event.position()
        moved = press is not None and (self._moved or (pos - press).manhattanLength() > CLICK_SLOP)
        drag, self._drag = self._drag, []
        if drag and not self._panning:
            drag = [drag[0], pos] if self.tool == "rect" else [*drag, pos]
        if not moved and event.button() == Qt.MouseButton.LeftButton:
            self.sigClicked.emit(self.point_at(pos.x(), pos.y()), shift)
        elif moved and not self._panning and len(drag) > 1:
            self.sigSelected.emit(self.points_in(drag), shift)
        self._panning = False
        self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._set_hovered(-1)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom(0.8)
        elif key == Qt.Key.Key_F:
            self.fit()
        elif key == Qt.Key.Key_Escape:
            self.sigClicked.emit(-1, False)
        else:
            super().keyPressEvent(event)

    # ---- picking ------------------------------------------------------------------------------
    def point_at(self, x: float, y: float) -> int:
        """The topmost drawn point under pixel ``(x, y)``, or -1."""
        if self._drawn is None:
            return -1
        return pick(self._drawn.positions, self._drawn.order, x, y, self._drawn.half)

    def points_in(self, outline: list[QPointF]) -> np.ndarray:
        """Indices of all points (drawn or hidden under others) inside a rectangle or lasso outline."""
        screen = self.camera.to_screen(self.renderer.coords)
        if self.tool == "rect":
            a, b = outline[0], outline[-1]
            mask = in_rect(screen, a.x(), a.y(), b.x(), b.y())
        else:
            mask = in_polygon(screen, np.array([(p.x(), p.y()) for p in outline]))
        return np.flatnonzero(mask)

    def screen_position(self, index: int) -> QPointF:
        """Where point ``index`` is on the widget now."""
        x, y = self.camera.to_screen(self.renderer.coords[[index]])[0]
        return QPointF(float(x), float(y))

    def _set_hovered(self, index: int) -> None:
        if index != self.hovered:
            self.hovered = index
            self.update()
            self.sigHovered.emit(index)
