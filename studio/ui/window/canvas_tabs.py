"""The canvas tabs: the model's canvas and one tab per open block, each a CanvasView on its own
CanvasScene of the window's document."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTabWidget

from studio.engine.spec.model import SpecEvent
from studio.ui.canvas.scene import CanvasScene
from studio.ui.canvas.view import CanvasView


class CanvasTabs:
    """``tabs`` (the widget) and ``views`` by block (None: the model). ``wire(scene)`` connects a new
    scene to the window; ``menu_actions()`` are a new view's context menu."""

    def __init__(self, document, parent, wire: Callable[[CanvasScene], None],
                 menu_actions: Callable[[], list]) -> None:
        self.document, self.parent = document, parent
        self._wire, self._menu_actions = wire, menu_actions
        self.views: dict[str | None, CanvasView] = {}
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setTabBarAutoHide(True)
        self.tabs.tabCloseRequested.connect(self.close)

    def follow_spec(self) -> None:
        """Close block tabs whose block went (after the model's scene subscribed: it hears first)."""
        self.document.spec.subscribe(self._on_spec_event)

    def view(self) -> CanvasView:
        """The view in front."""
        return self.tabs.currentWidget()

    def open(self, block: str | None) -> CanvasView:
        """The tab of ``block`` (made if need be) in front."""
        if block in self.views:
            view = self.views[block]
        else:
            scene = CanvasScene(self.document, block, self.parent)
            view = CanvasView(scene)
            view.menu_actions = self._menu_actions()
            self._wire(scene)
            self.views[block] = view
            title = "Model" if block is None else f"▣ {block}"
            index = self.tabs.addTab(view, title)
            if block is None:
                bar = self.tabs.tabBar()
                bar.setTabButton(index, bar.ButtonPosition.RightSide, None)
            QTimer.singleShot(0, view.fit)
        self.tabs.setCurrentWidget(view)
        return view

    def close(self, index: int) -> None:
        """Close the tab at ``index`` (the model's tab stays)."""
        view = self.tabs.widget(index)
        block = next((key for key, value in self.views.items() if value is view), None)
        if block is None:
            return
        del self.views[block]
        self.tabs.removeTab(index)
        scene = view.canvas()
        scene.detach()
        view.deleteLater()
        scene.deleteLater()

    def close_block(self, block: str) -> None:
        self.close(self.tabs.indexOf(self.views[block]))

    def _on_spec_event(self, event: SpecEvent) -> None:
        if event.kind == "reset":
            for block in [key for key in self.views if key is not None]:
                self.close_block(block)
        elif event.kind == "block_removed" and event.block in self.views:
            self.close_block(event.block)
