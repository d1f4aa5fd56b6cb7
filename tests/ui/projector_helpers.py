"""Shared set-up for the projector panel tests: a shown panel and projections of a real short run."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from studio.engine.projector.request import MethodChoice, ProjectionRequest
from studio.ui.projector.panel import ProjectorPanel

PCA = MethodChoice("pca", 2, {"components": [0, 1]})


def make_panel(qtbot) -> ProjectorPanel:
    panel = ProjectorPanel()
    qtbot.addWidget(panel)
    panel.resize(1400, 850)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def project(panel: ProjectorPanel, run, method: MethodChoice = PCA, **changes) -> ProjectionRequest:
    """Open ``run`` (if not yet), project with ``method`` (and request ``changes``), wait for the result."""
    if panel.form.run_dir != run:
        panel.open_run(run, project=False)
    request = replace(panel.form.request(), method=method, **changes)
    assert panel.project(request)
    assert panel.wait_idle()
    return request


def mouse(widget, kind: str, pos: QPoint, button=Qt.MouseButton.NoButton, held=Qt.MouseButton.NoButton,
          modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Deliver a real QMouseEvent to ``widget`` itself: QTest routes by window under the cursor, which
    another test's leftover window (or a move to the cursor's own position) can swallow."""
    types = {"move": QEvent.Type.MouseMove, "press": QEvent.Type.MouseButtonPress,
             "release": QEvent.Type.MouseButtonRelease}
    local = QPointF(pos)
    event = QMouseEvent(types[kind], local, QPointF(widget.mapToGlobal(pos)), button, held, modifiers)
    QApplication.sendEvent(widget, event)


def click(widget, pos: QPoint) -> None:
    left = Qt.MouseButton.LeftButton
    mouse(widget, "press", pos, left, left)
    mouse(widget, "release", pos, left, Qt.MouseButton.NoButton)


def drag(widget, points: list[QPoint]) -> None:
    """Press at the first point, move through the others, release at the last (left button)."""
    left = Qt.MouseButton.LeftButton
    mouse(widget, "press", points[0], left, left)
    for point in points[1:]:
        mouse(widget, "move", point, Qt.MouseButton.NoButton, left)
    mouse(widget, "release", points[-1], left, Qt.MouseButton.NoButton)


def key(widget, code) -> None:
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, code, Qt.KeyboardModifier.NoModifier))
