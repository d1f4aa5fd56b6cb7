"""``ViewArea``: the projector's centre — toolbar, the 2-D canvas (two side by side when comparing),
the 3-D view, the comparison slider and a caption."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.projector.canvas import TOOLS, ProjectorCanvas
from studio.ui.projector.hover import HoverCard
from studio.ui.projector.view3d import View3D

TOOL_TITLES = {"pan": "Pan", "rect": "Rect", "lasso": "Lasso"}
TOOL_TIPS = {"pan": "Drag to pan, wheel to zoom, click a point to select it",
             "rect": "Drag a rectangle to select points (Shift adds)",
             "lasso": "Draw around points to select them (Shift adds)"}
SIZE_RANGE = (4, 96)


class ViewArea(QWidget):
    """The views and their controls; the panel connects the signals and fills the views."""

    sigColorBy = Signal(str)  # colour choice picked
    sigLookChanged = Signal()  # thumbnails/dots or size changed
    sigBlend = Signal(float)  # comparison slider moved: 0 = first checkpoint, 1 = second

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = ProjectorCanvas()
        self.canvas_b = ProjectorCanvas()
        self.canvas_b.hide()
        self.cards = {self.canvas: HoverCard(self.canvas), self.canvas_b: HoverCard(self.canvas_b)}
        self.view3d = View3D()
        self.toolbar = QToolBar()
        self.tools = QActionGroup(self)
        for tool in TOOLS:
            action = QAction(TOOL_TITLES[tool], self, checkable=True, toolTip=TOOL_TIPS[tool])
            action.setData(tool)
            action.setChecked(tool == "pan")
            self.tools.addAction(action)
            self.toolbar.addAction(action)
        self.tools.triggered.connect(self._tool_chosen)
        self.toolbar.addSeparator()
        self.sprites = QAction("Images", self, checkable=True, checked=True,
                               toolTip="Draw each point as its image (off: coloured dots)")
        self.sprites.toggled.connect(self._look_changed)
        self.toolbar.addAction(self.sprites)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(*SIZE_RANGE)
        self.size_slider.setValue(32)
        self.size_slider.setFixedWidth(90)
        self.size_slider.setToolTip("Thumbnail / dot size in pixels")
        self.size_slider.valueChanged.connect(self._look_changed)
        self.toolbar.addWidget(QLabel(" Size "))
        self.toolbar.addWidget(self.size_slider)
        self.color_by = QComboBox()
        self.color_by.setMinimumContentsLength(8)
        self.color_by.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.color_by.textActivated.connect(self.sigColorBy)
        self.toolbar.addWidget(QLabel("  Colour "))
        self.toolbar.addWidget(self.color_by)
        self.toolbar.addSeparator()
        self.three_d = QAction("3-D", self, checkable=True, enabled=False,
                               toolTip="Rotate a 3-component projection (needs OpenGL)")
        self.three_d.toggled.connect(self.show_3d)
        self.toolbar.addAction(self.three_d)
        self.fit_action = QAction("Fit", self, toolTip="Show all points (F)")
        self.fit_action.triggered.connect(self.fit)
        self.toolbar.addAction(self.fit_action)
        self.export_menu = QMenu(self)
        export = QToolButton(text="Export", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        export.setMenu(self.export_menu)
        self.toolbar.addWidget(export)
        self.caption = QLabel("Choose a run and a layer on the left, then press Project to see the embedding")
        self.caption.setWordWrap(True)
        self._build_compare_bar()
        self.splitter = QSplitter()
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.canvas_b)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.view3d)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.compare_bar)
        layout.addWidget(self.caption)

    def _build_compare_bar(self) -> None:
        self.compare_bar = QWidget()
        self.compare_from, self.compare_to = QLabel(), QLabel()
        self.blend = QSlider(Qt.Orientation.Horizontal)
        self.blend.setRange(0, 1000)
        self.blend.valueChanged.connect(lambda value: self.sigBlend.emit(value / 1000))
        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.play.toggled.connect(self._play_toggled)
        self._timer = QTimer(self, interval=33)
        self._timer.timeout.connect(self._play_step)
        self._direction = 1
        row = QHBoxLayout(self.compare_bar)
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(self.compare_from)
        row.addWidget(self.blend, 1)
        row.addWidget(self.compare_to)
        row.addWidget(self.play)
        self.compare_bar.hide()

    # ---- modes ----------------------------------------------------------------------------------
    def canvases(self) -> list[ProjectorCanvas]:
        """The 2-D canvases showing points now (two when comparing side by side)."""
        return [self.canvas, self.canvas_b] if self.canvas_b.isVisible() else [self.canvas]

    def set_compare_mode(self, mode: str | None, first: str = "", second: str = "") -> None:
        """None (one view), "side" (two canvases) or "animate" (one canvas and a slider)."""
        self.canvas_b.setVisible(mode == "side")
        if mode == "side":
            half = max(self.splitter.width() // 2, 100)
            self.splitter.setSizes([half, half])
        self.compare_bar.setVisible(mode == "animate")
        self.compare_from.setText(first)
        self.compare_to.setText(second)
        if mode != "animate":
            self.play.setChecked(False)

    def show_3d(self, on: bool) -> None:
        self.stack.setCurrentWidget(self.view3d if on else self.splitter)
        if on:
            self.view3d.ensure_ready()

    def fit(self) -> None:
        for canvas in self.canvases():
            canvas.fit()

    def _tool_chosen(self, action: QAction) -> None:
        for canvas in (self.canvas, self.canvas_b):
            canvas.tool = action.data()

    def _look_changed(self) -> None:
        sprites = self.sprites.isChecked()
        for canvas in (self.canvas, self.canvas_b):
            canvas.look.mode = "sprites" if sprites else "dots"
            if sprites:
                canvas.look.sprite_size = self.size_slider.value()
            else:
                canvas.look.dot_size = max(2, self.size_slider.value() // 3)
            canvas.refresh()
        self.sigLookChanged.emit()

    def _play_toggled(self, on: bool) -> None:
        self.play.setText("Pause" if on else "Play")
        if on:
            self._timer.start()
        else:
            self._timer.stop()

    def _play_step(self) -> None:
        value = self.blend.value() + self._direction * 15
        if not 0 <= value <= 1000:
            self._direction = -self._direction
            value = max(0, min(1000, value))
        self.blend.setValue(value)
