"""The model's docks (palette, inspector, code, history): made, arranged, and hidden while a panel
other than the canvas is in front (that panel gets the whole window; the layout saved is the model's)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QWidget

MODEL_DOCKS = ("palette", "inspector", "code", "history")
LAYOUT_VERSION = 1  # of the saved dock layout; layouts saved before (docks a panel had hidden) are dropped


class ModelDocks:
    """``docks`` by name, on ``window``; each listed in ``menu`` (View > Docks)."""

    def __init__(self, window: QMainWindow, widgets: dict[str, tuple[str, QWidget]], menu: QMenu) -> None:
        self.window = window
        self.docks: dict[str, QDockWidget] = {}
        self._hidden: list[str] = []
        self._model_layout: QByteArray | None = None
        for name, (title, widget) in widgets.items():
            dock = QDockWidget(title, window)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(widget)
            self.docks[name] = dock
            menu.addAction(dock.toggleViewAction())
        self.arrange()

    def arrange(self) -> None:
        """The default layout: the palette on the left, the inspector in front of code and history on
        the right."""
        docks, window = self.docks, self.window
        for dock in docks.values():
            dock.setFloating(False)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, docks["palette"])
        for name in ("inspector", "code", "history"):
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks[name])
        window.tabifyDockWidget(docks["inspector"], docks["code"])
        window.tabifyDockWidget(docks["code"], docks["history"])
        for dock in docks.values():
            dock.show()
        docks["inspector"].raise_()
        window.resizeDocks([docks["palette"], docks["inspector"]], [230, 340], Qt.Orientation.Horizontal)

    def show(self, name: str) -> None:
        dock = self.docks[name]
        dock.show()
        dock.raise_()

    def model_layout(self, on_canvas: bool) -> QByteArray:
        """The dock layout of the Model tab (what is saved): while another panel is in front, the one it
        had when that panel came to the front (the docks hidden for a panel are not the user's choice)."""
        if not on_canvas and self._model_layout is not None:
            return self._model_layout
        return self.window.saveState(LAYOUT_VERSION)

    def panel_changed(self, on_canvas: bool) -> None:
        """Model docks show with the canvas only; other panels get the whole window."""
        if on_canvas:
            for name in self._hidden:
                self.docks[name].show()
            self._hidden = []
        elif not self._hidden:
            self._model_layout = self.window.saveState(LAYOUT_VERSION)
            self._hidden = [name for name in MODEL_DOCKS if self.docks[name].isVisible()]
            for name in self._hidden:
                self.docks[name].hide()

    def holds(self, widget: QWidget | None) -> bool:
        """Whether ``widget`` is inside one of the docks."""
        return widget is not None and any(dock.isAncestorOf(widget) for dock in self.docks.values())
