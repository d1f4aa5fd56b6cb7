"""Studio's main window: the model canvas (with a tab per open block) in the centre, the palette,
inspector, code view and undo history in docks, and tabs for the panels of later stages
(training, checkpoints, projector; see :mod:`studio.ui.panels`).

The window composes its parts (:mod:`studio.ui.window`): ``model_docks`` (docks.py), ``canvas_area``
(canvas_tabs.py), ``edits`` (edit_commands.py), ``finder`` (find_box.py), ``themes`` (themes.py) and
the run routing (run_routing.py); its methods of the same names are what menus, panels and tests call.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QUndoView,
    QWidget,
)

from studio import __version__
from studio.engine.errors import StudioError
from studio.engine.project import clear_autosave
from studio.ui.actions import WindowActions
from studio.ui.canvas.scene import CanvasScene
from studio.ui.canvas.view import CanvasView
from studio.ui.code_view import CodeView
from studio.ui.document import ProjectDocument
from studio.ui.inspector import Inspector
from studio.ui.palette import LayerPalette
from studio.ui.panels import PANELS, Panel, create_panel, panel_of
from studio.ui.project_files import ProjectFiles
from studio.ui.settings import AppSettings
from studio.ui.status import StatusLine
from studio.ui.window import run_routing
from studio.ui.window.canvas_tabs import CanvasTabs
from studio.ui.window.docks import LAYOUT_VERSION, ModelDocks
from studio.ui.window.edit_commands import CANVAS, EditCommands
from studio.ui.window.find_box import LayerFinder
from studio.ui.window.themes import Themes


class MainWindow(ProjectFiles, QMainWindow):
    """The window; ``document`` is the open project, ``panels`` the tabs by name."""

    def __init__(self, settings: AppSettings | None = None, restore_layout: bool = True) -> None:
        super().__init__()
        self.setObjectName("studio_main_window")
        self.settings = settings or AppSettings()
        self.document = ProjectDocument(parent=self)
        self.panels: dict[str, QWidget] = {}
        self.pages: dict[str, QWidget] = {}  # what the tabs hold: the panel, in a scroll area
        self._autosave_due = False
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(self._panel_changed)
        self.edits = EditCommands(self)
        self.canvas_area = CanvasTabs(self.document, self, self._wire_scene, self._canvas_menu)
        self.canvas_tabs: QTabWidget = self.canvas_area.tabs
        self.canvases: dict[str | None, CanvasView] = self.canvas_area.views
        self.canvas_tabs.currentChanged.connect(lambda index: self._canvas_changed())
        self.setCentralWidget(self.tabs)
        self.inspector = Inspector()
        self.palette_widget = LayerPalette(self.document.spec)
        self.code_view = CodeView(self.document.spec)
        self.history = QUndoView(self.document.undo_stack)
        self.history.setEmptyLabel("<opened>")
        self.actions_ = WindowActions(self)
        self.actions_.build_menus()
        self.find_box = self.actions_.build_toolbar()
        self.model_docks = ModelDocks(self, {"palette": ("Layers", self.palette_widget),
                                             "inspector": ("Inspector", self.inspector),
                                             "code": ("Code", self.code_view),
                                             "history": ("History", self.history)}, self.actions_.docks_menu)
        self.docks: dict[str, QDockWidget] = self.model_docks.docks
        self.status_line = StatusLine()  # at the training batch size (the training panel links it)
        self.statusBar().addPermanentWidget(self.status_line)
        self.canvas_area.open(None)
        self.add_panel(CANVAS, "Model", self.canvas_tabs)
        for entry in PANELS:
            self.add_panel(entry.name, entry.title, create_panel(entry, self))
        self._connect()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(self.settings.autosave_seconds() * 1000)
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()
        self.resize(1400, 900)
        if restore_layout:
            self.settings.restore_window(self, LAYOUT_VERSION)
        self.actions_.set_theme_checked(self.settings.theme())
        self.update_title()

    # ---- layout -------------------------------------------------------------------------------
    def reset_layout(self) -> None:
        """View > Reset Layout: the Model tab in front with every dock where it starts."""
        self.show_panel(CANVAS)
        self.model_docks.arrange()

    def model_layout(self) -> QByteArray:
        """The dock layout of the Model tab (what is saved; see ModelDocks.model_layout)."""
        return self.model_docks.model_layout(self.current_panel() == CANVAS)

    def add_panel(self, name: str, title: str, widget: QWidget) -> None:
        """Show ``widget`` as tab ``title``; a panel of the same name (a placeholder) is replaced.
        ``show_panel(name)`` and ``studio gui --screenshot --panel NAME`` bring it to the front."""
        old = self.pages.get(name)
        self.panels[name] = widget
        widget.setObjectName(widget.objectName() or f"panel_{name}")
        page = widget if name == CANVAS else _scrolling(widget)
        self.pages[name] = page
        if old is not None:
            index = self.tabs.indexOf(old)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, page, title)
            old.deleteLater()
            return
        self.tabs.addTab(page, title)
        self.actions_.add_panel_action(self.tabs.count() - 1, title, lambda: self.show_panel(name))

    def panel(self, name: str) -> Panel:
        """What the window asks of panel ``name`` (one that does nothing for the canvas, a dock or a
        widget that is not a :class:`Panel`)."""
        return panel_of(self.panels.get(name))

    def current_panel(self) -> str:
        """The name of the panel in front."""
        page = self.tabs.currentWidget()
        return next(name for name, value in self.pages.items() if value is page)

    def show_panel(self, name: str) -> None:
        """Bring panel ``name`` (canvas, training, ...; or a dock: palette, inspector, code, history)
        to the front; StudioError names the known ones."""
        if name in self.pages:
            self.tabs.setCurrentWidget(self.pages[name])
        elif name in self.docks:
            self.tabs.setCurrentWidget(self.pages[CANVAS])
            self.show_dock(name)
        else:
            known = ", ".join([*self.panels, *self.docks])
            raise StudioError(f"there is no panel '{name}' (known: {known})")

    def show_dock(self, name: str) -> None:
        self.model_docks.show(name)

    def _panel_changed(self, index: int) -> None:
        """Model docks show with the canvas only; other panels get the whole window."""
        on_canvas = self.tabs.widget(index) is self.pages.get(CANVAS)
        self.model_docks.panel_changed(on_canvas)
        if on_canvas:
            self._focus_canvas()

    # ---- canvases -----------------------------------------------------------------------------
    def scene(self) -> CanvasScene:
        """The scene of the canvas tab in front."""
        return self.view().canvas()

    def view(self) -> CanvasView:
        return self.canvas_area.view()

    def _canvas_menu(self) -> list:
        acts = self.actions_
        return [*acts.node_actions[:4], acts.paste, None, *acts.node_actions[4:], None,
                acts.arrange, acts.fit]

    def _wire_scene(self, scene: CanvasScene) -> None:
        scene.sigMessage.connect(self.message)
        scene.sigOpenBlock.connect(self.open_block)
        scene.selectionChanged.connect(self._update_actions)

    def open_block(self, name: str) -> None:
        """Open block ``name`` in its own canvas tab (or bring that tab to the front)."""
        if name in self.document.spec.blocks:
            self.show_panel(CANVAS)
            self.canvas_area.open(name)

    def open_selected_block(self) -> None:
        self.edits.open_selected_block()

    def _canvas_changed(self) -> None:
        if self.canvas_tabs.currentWidget() is not None:
            self.inspector.set_scene(self.scene())
            self._update_actions()
            self._focus_canvas()

    def _focus_canvas(self) -> None:
        """The canvas in front takes the keyboard (Delete, Ctrl+A, Ctrl+C act on it) unless a dock
        has it: after a click on a tab, the tab bar would otherwise keep it."""
        in_dock = self.model_docks.holds(QApplication.focusWidget())
        if self.canvas_tabs.currentWidget() is not None and not in_dock:
            self.view().setFocus()

    # ---- signals ------------------------------------------------------------------------------
    def _connect(self) -> None:
        doc = self.document
        doc.sigFileChanged.connect(self.update_title)
        doc.sigAnalysed.connect(self.status_line.show_analysis)
        doc.sigAnalysed.connect(self.code_view.show_analysis)
        doc.sigEdited.connect(self._edited)
        self.canvas_area.follow_spec()
        self.status_line.sigShowProblem.connect(self.go_to_node)
        self.inspector.sigMessage.connect(self.message)
        self.inspector.sigEditDefaults.connect(self.edit_defaults)
        self.inspector.sigSelectNode.connect(self.go_to_node)
        self.palette_widget.sigActivated.connect(self.add_from_palette)
        self.palette_widget.sigOpenBlock.connect(self.open_block)
        self.palette_widget.sigDeleteBlock.connect(self.delete_block)
        self.finder = LayerFinder(self, self.find_box)
        self.themes = Themes(self)
        self.inspector.set_scene(self.scene())
        self.status_line.show_analysis(doc.analysis)

    def _edited(self) -> None:
        self._autosave_due = True

    def _update_actions(self) -> None:
        self.edits.update_actions()

    def message(self, text: str) -> None:
        """Show a short message in the status bar."""
        self.statusBar().showMessage(text, 8000)

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title}[*] — Studio")
        self.setWindowModified(self.document.modified)
        if self.document.modified:
            self._autosave_due = True  # also for changes outside the spec (training settings, runs)

    # ---- editing (studio.ui.window.edit_commands) ---------------------------------------------
    def add_from_palette(self, kind: str, name: str) -> None:
        self.edits.add_from_palette(kind, name)

    def delete_block(self, name: str) -> None:
        self.edits.delete_block(name)

    def group_selection(self) -> None:
        self.edits.group_selection()

    def edit_defaults(self) -> None:
        self.edits.edit_defaults()

    def go_to_node(self, node_id: str) -> None:
        self.edits.go_to_node(node_id)

    def focus_rename(self) -> None:
        self.edits.focus_rename()

    def toggle_minimap(self) -> None:
        self.edits.toggle_minimap()

    # ---- find and themes ----------------------------------------------------------------------
    def focus_find(self) -> None:
        self.finder.focus()

    def find_layer(self, text: str) -> bool:
        """Select and centre the first layer whose id (or else type) matches ``text``."""
        return self.finder.find(text)

    def set_theme(self, name: str) -> None:
        self.themes.set(name)

    # ---- runs ---------------------------------------------------------------------------------
    def open_run(self, path: str | Path, panel: str | None = None) -> None:
        """Show run directory ``path`` in panel ``panel``, or in every panel that shows runs;
        StudioError when ``path`` is not a folder."""
        run_routing.open_run(self, path, panel)

    # ---- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        for panel in self.panels.values():  # e.g. a training run: ask, then stop it with a checkpoint
            if not panel_of(panel).confirm_close():
                event.ignore()
                return
        self.settings.save_window(self, self.model_layout(), LAYOUT_VERSION)
        self.settings.sync()
        clear_autosave(self.settings.recovery_dir())
        self.autosave_timer.stop()
        self.document.release_scratch()  # (its runs, if any are left, are offered at the next start)
        for view in self.canvases.values():
            view.canvas().detach()
        event.accept()

    def about(self) -> None:
        QMessageBox.about(self, "About Studio", f"<b>Studio {__version__}</b><br>Build, train and inspect "
                          "neural networks on PyTorch, visually.")


def _scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area, so a large panel never forces the window's size."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area
