"""``View3D``: 3-component projections as a rotating point cloud (pyqtgraph.opengl), or why it cannot be.

Qt's offscreen platform has no OpenGL, and pyqtgraph.opengl needs PyOpenGL (``pip install studio[gl]``);
in either case the view shows a message saying so instead of failing.
"""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QOpenGLContext
from PySide6.QtWidgets import QCheckBox, QLabel, QStackedWidget, QVBoxLayout, QWidget

NO_GL_PLATFORMS = ("offscreen", "minimal")
NEUTRAL = "#9aa0a6"


@functools.cache
def opengl_problem() -> str | None:
    """Why a 3-D view cannot be shown here (a message for the user), or None when it can (probed
    once: the platform and the packages do not change while the application runs)."""
    platform = QGuiApplication.platformName()
    if platform in NO_GL_PLATFORMS:
        return (f"The 3-D view needs OpenGL, which Qt's '{platform}' platform does not provide. "
                "Run Studio on a desktop (or under Xvfb with Mesa) to rotate 3-D projections; "
                "the 2-D view shows the first two components.")
    try:
        import OpenGL  # noqa: F401 - only checking that PyOpenGL is installed
    except ImportError:
        return "The 3-D view needs the optional package PyOpenGL: pip install studio[gl]"
    context = QOpenGLContext()
    if not context.create():
        return "The 3-D view needs OpenGL, and this machine could not create an OpenGL context."
    return None


def rgba(colors: np.ndarray, palette: tuple[str, ...]) -> np.ndarray:
    """``[N, 4]`` float colours of palette indices (-1: neutral grey)."""
    table = np.array([QColor(c).getRgbF() for c in (*palette, NEUTRAL)], dtype=np.float32)
    index = np.where(colors < 0, len(palette), colors)
    return table[index]


class View3D(QStackedWidget):
    """A GLViewWidget with one scatter item (drag to rotate, wheel to zoom), or a message page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setObjectName("gl_message")
        self.message.setMargin(40)
        self.addWidget(self.message)
        self.gl = None
        self.scatter = None
        self.problem: str | None = None
        self._spin = QTimer(self, interval=33)
        self._spin.timeout.connect(lambda: self.gl.orbit(0.6, 0))
        self.spin_box = QCheckBox("Spin")
        self.spin_box.toggled.connect(self.set_spinning)

    def ensure_ready(self) -> bool:
        """Create the OpenGL widget on first use; False (message shown) when OpenGL is unavailable."""
        if self.gl is not None:
            return True
        self.problem = opengl_problem()
        if self.problem is not None:
            self.message.setText(self.problem)
            self.setCurrentWidget(self.message)
            return False
        import pyqtgraph.opengl as gl

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.gl = gl.GLViewWidget()
        self.gl.setBackgroundColor(self.palette().base().color())
        grid = gl.GLGridItem(color=self.palette().mid().color())
        grid.setSize(20, 20)
        grid.translate(0, 0, -10)
        self.gl.addItem(grid)
        # "additive" (the default) would wash every point out to white on a light background
        self.scatter = gl.GLScatterPlotItem(pxMode=True, glOptions="translucent")
        self.gl.addItem(self.scatter)
        layout.addWidget(self.gl, 1)
        layout.addWidget(self.spin_box)
        self.addWidget(page)
        self.setCurrentWidget(page)
        return True

    def set_points(self, coords: np.ndarray, colors: np.ndarray, palette: tuple[str, ...],
                   emphasis: np.ndarray | None = None, size: float = 6.0) -> None:
        """Show ``coords`` ([N, 3], centred and scaled to a unit box) coloured by palette index."""
        if not self.ensure_ready():
            return
        xyz = np.asarray(coords, dtype=np.float32)[:, :3]
        xyz = xyz - xyz.mean(axis=0)
        xyz /= max(float(np.abs(xyz).max()), 1e-9)
        color = rgba(np.asarray(colors), palette)
        sizes = np.full(len(xyz), size, dtype=np.float32)
        if emphasis is not None and len(emphasis):
            sizes[emphasis] = size * 2.5
        self.scatter.setData(pos=xyz * 10, color=color, size=sizes)
        self.gl.setCameraPosition(distance=30)

    def set_spinning(self, on: bool) -> None:
        if self.gl is not None and on:
            self._spin.start()
        else:
            self._spin.stop()
