"""Helpers that drive the canvas with real mouse and drag-and-drop events."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot


def view_point(view, scene_point: QPointF) -> QPoint:
    return view.mapFromScene(scene_point)


def drop_on_view(view, mime, scene_point: QPointF) -> None:
    """Send the drag-enter, drag-move and drop events a real drag would (the palette's mime data)."""
    pos = QPointF(view_point(view, scene_point))
    action = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for event in (QDragEnterEvent(pos.toPoint(), action, mime, buttons, mods),
                  QDragMoveEvent(pos.toPoint(), action, mime, buttons, mods),
                  QDropEvent(pos, action, mime, buttons, mods)):
        QApplication.sendEvent(view.viewport(), event)


def drag(qtbot: QtBot, view, start: QPointF, end: QPointF) -> None:
    """Press at ``start``, move in steps, release at ``end`` (scene coordinates)."""
    viewport = view.viewport()
    a, b = view_point(view, start), view_point(view, end)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    for step in range(1, 5):
        point = a + (b - a) * (step / 4)
        qtbot.mouseMove(viewport, point)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)
