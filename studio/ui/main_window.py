"""Studio's main window: the model canvas (with a tab per open block) in the centre, the palette,
inspector, code view and undo history in docks, and tabs for the panels of later stages
(training, checkpoints, projector; see :mod:`studio.ui.panels`)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QStringListModel, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QCompleter,
    QDockWidget,
    QFrame,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QUndoView,
    QWidget,
)

from studio import __version__
from studio.engine.errors import StudioError
from studio.engine.project import (
    clear_autosave,
)
from studio.engine.spec.model import SpecEvent
from studio.ui.actions import WindowActions
from studio.ui.canvas.scene import CanvasScene
from studio.ui.canvas.view import CanvasView
from studio.ui.code_view import CodeView
from studio.ui.defaults_dialog import DefaultsDialog
from studio.ui.document import ProjectDocument
from studio.ui.inspector import Inspector
from studio.ui.palette import LayerPalette
from studio.ui.panels import PANELS, Panel, create_panel, panel_of
from studio.ui.project_files import ProjectFiles
from studio.ui.settings import AppSettings
from studio.ui.status import StatusLine
from studio.ui.theme import apply_theme, canvas_colors
from studio.ui.training.plot_style import restyle_all

CANVAS = "canvas"
MODEL_DOCKS = ("palette", "inspector", "code", "history")
LAYOUT_VERSION = 1  # of the saved dock layout; layouts saved before (docks a panel had hidden) are dropped


class MainWindow(ProjectFiles, QMainWindow):
    """The window; ``document`` is the open project, ``panels`` the tabs by name."""

    def __init__(self, settings: AppSettings | None = None, restore_layout: bool = True) -> None:
        super().__init__()
        self.setObjectName("studio_main_window")
        self.settings = settings or AppSettings()
        self.document = ProjectDocument(parent=self)
        self.panels: dict[str, QWidget] = {}
        self.pages: dict[str, QWidget] = {}  # what the tabs hold: the panel, in a scroll area
        self.docks: dict[str, QDockWidget] = {}
        self.canvases: dict[str | None, CanvasView] = {}
        self._hidden_docks: list[str] = []
        self._model_layout: QByteArray | None = None
        self._autosave_due = False
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(self._panel_changed)
        self.canvas_tabs = QTabWidget()
        self.canvas_tabs.setDocumentMode(True)
        self.canvas_tabs.setTabsClosable(True)
        self.canvas_tabs.setTabBarAutoHide(True)
        self.canvas_tabs.tabCloseRequested.connect(self._close_canvas_tab)
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
        self._make_docks()
        self.status_line = StatusLine()  # at the training batch size (the training panel links it)
        self.statusBar().addPermanentWidget(self.status_line)
        self._open_canvas(None)
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
    def _make_docks(self) -> None:
        for name, title, widget in (("palette", "Layers", self.palette_widget),
                                    ("inspector", "Inspector", self.inspector),
                                    ("code", "Code", self.code_view),
                                    ("history", "History", self.history)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(widget)
            self.docks[name] = dock
            self.actions_.docks_menu.addAction(dock.toggleViewAction())
        self._arrange_docks()

    def _arrange_docks(self) -> None:
        """The default layout: the palette on the left, the inspector in front of code and history on
        the right."""
        docks = self.docks
        for dock in docks.values():
            dock.setFloating(False)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, docks["palette"])
        for name in ("inspector", "code", "history"):
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks[name])
        self.tabifyDockWidget(docks["inspector"], docks["code"])
        self.tabifyDockWidget(docks["code"], docks["history"])
        for dock in docks.values():
            dock.show()
        docks["inspector"].raise_()
        self.resizeDocks([docks["palette"], docks["inspector"]], [230, 340], Qt.Orientation.Horizontal)

    def reset_layout(self) -> None:
        """View > Reset Layout: the Model tab in front with every dock where it starts."""
        self.show_panel(CANVAS)
        self._arrange_docks()

    def model_layout(self) -> QByteArray:
        """The dock layout of the Model tab (what is saved): while another panel is in front, the one it
        had when that panel came to the front (the docks hidden for a panel are not the user's choice)."""
        if self.current_panel() != CANVAS and self._model_layout is not None:
            return self._model_layout
        return self.saveState(LAYOUT_VERSION)

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
        dock = self.docks[name]
        dock.show()
        dock.raise_()

    def _panel_changed(self, index: int) -> None:
        """Model docks show with the canvas only; other panels get the whole window."""
        on_canvas = self.tabs.widget(index) is self.pages.get(CANVAS)
        if on_canvas:
            for name in self._hidden_docks:
                self.docks[name].show()
            self._hidden_docks = []
            self._focus_canvas()
        elif not self._hidden_docks:
            self._model_layout = self.saveState(LAYOUT_VERSION)
            self._hidden_docks = [name for name in MODEL_DOCKS if self.docks[name].isVisible()]
            for name in self._hidden_docks:
                self.docks[name].hide()

    # ---- canvases -----------------------------------------------------------------------------
    def scene(self) -> CanvasScene:
        """The scene of the canvas tab in front."""
        return self.view().canvas()

    def view(self) -> CanvasView:
        return self.canvas_tabs.currentWidget()

    def _open_canvas(self, block: str | None) -> CanvasView:
        if block in self.canvases:
            view = self.canvases[block]
        else:
            scene = CanvasScene(self.document, block, self)
            view = CanvasView(scene)
            acts = self.actions_
            view.menu_actions = [*acts.node_actions[:4], acts.paste, None, *acts.node_actions[4:], None,
                                 acts.arrange, acts.fit]
            scene.sigMessage.connect(self.message)
            scene.sigOpenBlock.connect(self.open_block)
            scene.selectionChanged.connect(self._update_actions)
            self.canvases[block] = view
            title = "Model" if block is None else f"▣ {block}"
            index = self.canvas_tabs.addTab(view, title)
            if block is None:
                bar = self.canvas_tabs.tabBar()
                bar.setTabButton(index, bar.ButtonPosition.RightSide, None)
            QTimer.singleShot(0, view.fit)
        self.canvas_tabs.setCurrentWidget(view)
        return view

    def open_block(self, name: str) -> None:
        """Open block ``name`` in its own canvas tab (or bring that tab to the front)."""
        if name in self.document.spec.blocks:
            self.show_panel(CANVAS)
            self._open_canvas(name)

    def open_selected_block(self) -> None:
        selected = self.scene().selected_ids()
        if len(selected) == 1:
            self.scene().open_node(selected[0])

    def _close_canvas_tab(self, index: int) -> None:
        view = self.canvas_tabs.widget(index)
        block = next((key for key, value in self.canvases.items() if value is view), None)
        if block is None:
            return  # the model's tab stays
        del self.canvases[block]
        self.canvas_tabs.removeTab(index)
        scene = view.canvas()
        scene.detach()
        view.deleteLater()
        scene.deleteLater()

    def _canvas_changed(self) -> None:
        if self.canvas_tabs.currentWidget() is not None:
            self.inspector.set_scene(self.scene())
            self._update_actions()
            self._focus_canvas()

    def _focus_canvas(self) -> None:
        """The canvas in front takes the keyboard (Delete, Ctrl+A, Ctrl+C act on it) unless a dock
        has it: after a click on a tab, the tab bar would otherwise keep it."""
        focus = QApplication.focusWidget()
        in_dock = focus is not None and any(dock.isAncestorOf(focus) for dock in self.docks.values())
        if self.canvas_tabs.currentWidget() is not None and not in_dock:
            self.view().setFocus()

    def _on_spec_event(self, event: SpecEvent) -> None:
        if event.kind == "reset":
            for block in [key for key in self.canvases if key is not None]:
                self._close_canvas_tab(self.canvas_tabs.indexOf(self.canvases[block]))
        elif event.kind == "block_removed" and event.block in self.canvases:
            self._close_canvas_tab(self.canvas_tabs.indexOf(self.canvases[event.block]))

    # ---- signals ------------------------------------------------------------------------------
    def _connect(self) -> None:
        doc = self.document
        doc.sigFileChanged.connect(self.update_title)
        doc.sigAnalysed.connect(self.status_line.show_analysis)
        doc.sigAnalysed.connect(self.code_view.show_analysis)
        doc.sigEdited.connect(self._edited)
        doc.spec.subscribe(self._on_spec_event)
        self.status_line.sigShowProblem.connect(self.go_to_node)
        self.inspector.sigMessage.connect(self.message)
        self.inspector.sigEditDefaults.connect(self.edit_defaults)
        self.inspector.sigSelectNode.connect(self.go_to_node)
        self.palette_widget.sigActivated.connect(self.add_from_palette)
        self.palette_widget.sigOpenBlock.connect(self.open_block)
        self.palette_widget.sigDeleteBlock.connect(self.delete_block)
        self.find_box.returnPressed.connect(lambda: self.find_layer(self.find_box.text()))
        self.find_box.textEdited.connect(self._refresh_find)
        self.find_model = QStringListModel()
        completer = QCompleter(self.find_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self.find_layer)
        self.find_box.setCompleter(completer)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._follow_system)
        self.inspector.set_scene(self.scene())
        self.status_line.show_analysis(doc.analysis)

    def _edited(self) -> None:
        self._autosave_due = True

    def _update_actions(self) -> None:
        scene = self.scene()
        selected = scene.selected_ids()
        nodes = [scene.graph.nodes[i] for i in selected if i in scene.graph.nodes]
        single = nodes[0] if len(nodes) == 1 else None
        for action in (self.actions_.cut, self.actions_.copy, self.actions_.duplicate, self.actions_.group):
            action.setEnabled(bool(nodes))
        self.actions_.delete.setEnabled(bool(nodes) or bool(scene.selected_edges()))
        self.actions_.ungroup.setEnabled(single is not None and single.type == "block")
        self.actions_.open_block.setEnabled(single is not None and single.type == "block")
        self.actions_.unroll.setEnabled(single is not None and single.instance_count > 1)
        self.actions_.rename.setEnabled(single is not None)

    def message(self, text: str) -> None:
        """Show a short message in the status bar."""
        self.statusBar().showMessage(text, 8000)

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title}[*] — Studio")
        self.setWindowModified(self.document.modified)
        if self.document.modified:
            self._autosave_due = True  # also for changes outside the spec (training settings, runs)

    # ---- editing ------------------------------------------------------------------------------
    def add_from_palette(self, kind: str, name: str) -> None:
        """Enter or double-click in the palette: add below the selected layer of the canvas."""
        self.show_panel(CANVAS)
        scene = self.scene()
        if kind == "template":
            bottom = max((n.pos[1] for n in scene.graph.nodes.values()), default=-110.0)
            scene.select(scene.run(lambda: scene.editor.add_template(name, (0.0, bottom + 140.0))) or [])
        else:
            scene.add_after_selection(f"block:{name}" if kind == "block" else name)
        self.view().setFocus()

    def delete_block(self, name: str) -> None:
        """Delete an unused block definition (a message names its users otherwise)."""
        editor = self.canvases[None].canvas().editor
        try:
            editor.remove_block(name)
        except StudioError as exc:
            self.message(str(exc))

    def group_selection(self) -> None:
        scene = self.scene()
        if not scene.selected_ids():
            self.message("Select the layers to group first")
            return
        suggestion = scene.editor.fresh_block_name()
        name, ok = QInputDialog.getText(self, "Group into block", "Name of the new block:", text=suggestion)
        if ok and name.strip():
            scene.group_selection(name.strip())

    def edit_defaults(self) -> None:
        scene = self.scene()
        owner = f"block {scene.block}" if scene.block else f"model {self.document.spec.name}"
        dialog = DefaultsDialog(scene.graph.defaults, owner, self)
        if dialog.exec():
            scene.run(lambda: scene.editor.set_defaults(dialog.result_scopes()))

    def focus_find(self) -> None:
        self._refresh_find()
        self.find_box.setFocus()
        self.find_box.selectAll()

    def _refresh_find(self, text: str = "") -> None:
        self.find_model.setStringList(sorted(self.scene().graph.nodes))

    def find_layer(self, text: str) -> bool:
        """Select and centre the first layer whose id (or else type) matches ``text``."""
        text = text.strip().lower()
        nodes = self.scene().graph.nodes.values()
        match = (next((n for n in nodes if n.id.lower() == text), None)
                 or next((n for n in nodes if text in n.id.lower()), None)
                 or next((n for n in nodes if text in n.type.lower()), None)) if text else None
        if match is None:
            self.message(f"No layer matches '{text}'")
            return False
        self.view().center_on_node(match.id)
        self.view().setFocus()
        return True

    def go_to_node(self, node_id: str) -> None:
        if node_id:
            self.show_panel(CANVAS)
            self.canvas_tabs.setCurrentWidget(self.canvases[None])
            self.view().center_on_node(node_id)

    def focus_rename(self) -> None:
        self.show_dock("inspector")
        if self.inspector.id_edit is not None:
            self.inspector.id_edit.setFocus()
            self.inspector.id_edit.selectAll()

    def toggle_minimap(self) -> None:
        mode = "on" if self.actions_.minimap.isChecked() else "off"
        for view in self.canvases.values():
            view.set_minimap_mode(mode)

    def set_theme(self, name: str) -> None:
        self.settings.set_theme(name)
        self.actions_.set_theme_checked(name)
        self._apply_theme()

    def _follow_system(self, scheme=None) -> None:
        if self.settings.theme() == "system":
            self._apply_theme()

    def _apply_theme(self) -> None:
        apply_theme(QApplication.instance(), self.settings.theme())
        restyle_all()  # the plots of the panels
        colors = canvas_colors()
        for view in self.canvases.values():
            view.canvas().set_colors(colors)
            view.resetCachedContent()
        self.inspector.rebuild()
        self.actions_.refresh_icons()

    # ---- runs ---------------------------------------------------------------------------------
    def open_run(self, path: str | Path, panel: str | None = None) -> None:
        """Show run directory ``path`` in panel ``panel``, or in every panel that can
        (``open_run``); StudioError when ``path`` is not a folder."""
        if not Path(path).is_dir():
            raise StudioError(f"{path} is not a run directory")
        chosen = [self.panels[panel]] if panel in self.panels else list(self.panels.values())
        takers = [taker for taker in map(panel_of, chosen) if taker.shows_runs]
        for taker in takers:
            taker.open_run(Path(path))
        if not takers and panel not in self.panels:  # (a named panel without runs, e.g. the canvas: fine)
            self.message(f"No panel can show runs yet ({path})")

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
