"""Menus, toolbar and keyboard shortcuts of the main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QPalette
from PySide6.QtWidgets import QLineEdit, QMenu, QStyle, QToolBar

from studio.engine.templates import list_templates
from studio.ui.finetune_dialog import finetune_dialog
from studio.ui.icons import action_icon
from studio.ui.import_dialog import import_model_dialog
from studio.ui.theme import THEMES

Keys = QKeySequence.StandardKey


class WindowActions:
    """Creates every action of ``window`` (a MainWindow), its menus and its toolbar."""

    def __init__(self, window) -> None:
        self.window = window
        w, style = window, window.style()

        def act(text, slot, shortcut=None, icon=None, tip=None, canvas=False) -> QAction:
            """``canvas``: the shortcut works only while the canvas has the focus (the menus still offer
            the action), so keys like Delete and Ctrl+A keep their meaning in the other panels."""
            action = QAction(text, w)
            if shortcut is not None:
                action.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
            if icon is not None:
                action.setIcon(style.standardIcon(icon))
            if tip:
                action.setToolTip(tip)
                action.setStatusTip(tip)
            action.triggered.connect(lambda checked=False: slot())
            if canvas:
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                w.canvas_tabs.addAction(action)
            else:
                w.addAction(action)
            return action

        pixmap = QStyle.StandardPixmap
        self.new = act("&New", w.new_project, Keys.New, pixmap.SP_FileIcon, "Start a new, empty project")
        self.open = act("&Open…", w.open_dialog, Keys.Open, pixmap.SP_DialogOpenButton,
                        "Open a .studio project or a model spec")
        self.save = act("&Save", w.save, Keys.Save, pixmap.SP_DialogSaveButton, "Save the project")
        self.save_as = act("Save &As…", w.save_as, Keys.SaveAs)
        self.quit = act("&Quit", w.close, Keys.Quit)
        self.undo = w.document.undo_stack.createUndoAction(w, "&Undo")
        self.undo.setShortcuts(Keys.Undo)
        self.redo = w.document.undo_stack.createRedoAction(w, "&Redo")
        self.redo.setShortcuts(_redo_keys())
        w.addActions([self.undo, self.redo])
        self.cut = act("Cu&t", lambda: w.scene().cut_selection(), Keys.Cut, canvas=True)
        self.copy = act("&Copy", lambda: w.scene().copy_selection(), Keys.Copy, canvas=True)
        self.paste = act("&Paste", lambda: w.scene().paste(), Keys.Paste, canvas=True)
        self.duplicate = act("D&uplicate", lambda: w.scene().duplicate_selection(), "Ctrl+D", canvas=True)
        self.delete = act("&Delete", lambda: w.scene().delete_selection(),
                          [QKeySequence(Keys.Delete), QKeySequence("Backspace")], canvas=True)
        self.select_all = act("Select &All", lambda: w.scene().select_all(), Keys.SelectAll, canvas=True)
        self.find = act("&Find Layer…", w.focus_find, Keys.Find, tip="Find a layer by id or type")
        self.history = act("&History", lambda: w.show_dock("history"), "Ctrl+H",
                           tip="Show the list of undo steps")
        self.group = act("&Group into Block…", w.group_selection, "Ctrl+G",
                         tip="Make the selected layers a reusable block used once here")
        self.ungroup = act("&Ungroup", lambda: w.scene().ungroup_selection(), "Ctrl+Shift+G",
                           tip="Replace the selected block by its layers")
        self.unroll = act("Un&roll Repeat/Stack", lambda: w.scene().unroll_selection(),
                          tip="Replace a repeat or stack node by one node per layer")
        self.open_block = act("&Open Block", w.open_selected_block, "Ctrl+Return",
                              tip="Open the selected block in its own tab")
        self.rename = act("Re&name Layer", w.focus_rename, "F2")
        self.defaults = act("&Defaults (arg_scope)…", w.edit_defaults,
                            tip="Default arguments per layer type for this graph")
        self.arrange = act("&Arrange", lambda: w.scene().editor.arrange(), "Ctrl+L",
                           tip="Lay the graph out top to bottom")
        self.zoom_in = act("Zoom &In", lambda: w.view().zoom_in(), [QKeySequence(Keys.ZoomIn),
                                                                   QKeySequence("Ctrl+=")])
        self.zoom_out = act("Zoom &Out", lambda: w.view().zoom_out(), Keys.ZoomOut)
        self.fit = act("&Fit to View", lambda: w.view().fit(), "Ctrl+0", tip="Show the whole graph")
        self.minimap = act("&Minimap", w.toggle_minimap)
        self.minimap.setCheckable(True)
        self.reset_layout = act("&Reset Layout", w.reset_layout,
                                tip="Show the Model tab with the palette, inspector, code and history docks"
                                " where they start")
        self.themes = QActionGroup(w)
        for name in THEMES:
            action = QAction(name.capitalize(), self.themes, checkable=True)
            action.setData(name)
            action.triggered.connect(lambda checked=False, n=name: w.set_theme(n))
        self.about = act("&About Studio", w.about)
        self.node_actions = [self.cut, self.copy, self.duplicate, self.delete, self.group, self.ungroup,
                             self.unroll, self.open_block, self.rename]

    def build_menus(self) -> None:
        w = self.window
        bar = w.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.new])
        templates = file.addMenu("New from &Template")
        for template in list_templates():
            action = templates.addAction(template.name)
            action.setToolTip(template.help)
            action.triggered.connect(lambda checked=False, n=template.name: w.new_from_template(n))
        file.addAction("&Import Model...", lambda: import_model_dialog(w)).setToolTip(
            "A PyTorch model from code (runs that code) or torchvision, opened as an unsaved project")
        file.addAction("Fine-&tune a Pretrained Model…", lambda: finetune_dialog(w)).setToolTip(
            "A template (or the canvas model) from pretrained weights, all but the head, set up to train")
        file.addActions([self.open])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        file.addActions([self.save, self.save_as])
        file.addSeparator()
        file.addAction(self.quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo, self.redo])
        edit.addSeparator()
        edit.addActions([self.cut, self.copy, self.paste, self.duplicate, self.delete, self.select_all])
        edit.addSeparator()
        edit.addActions([self.find, self.history])
        model = bar.addMenu("&Model")
        model.addActions([self.group, self.ungroup, self.unroll, self.open_block])
        model.addSeparator()
        model.addActions([self.rename, self.defaults, self.arrange])
        view = bar.addMenu("&View")
        view.addActions([self.zoom_in, self.zoom_out, self.fit, self.minimap])
        view.addSeparator()
        self.panels_menu = view.addMenu("&Panels")
        self.docks_menu = view.addMenu("&Docks")
        view.addAction(self.reset_layout)
        theme = view.addMenu("&Theme")
        theme.addActions(self.themes.actions())
        bar.addMenu("&Help").addAction(self.about)

    def refresh_icons(self) -> None:
        """Draw the toolbar's line icons in the current theme's text colour."""
        color = self.window.palette().color(QPalette.ColorRole.ButtonText)
        for name in ("zoom_in", "zoom_out", "fit", "arrange", "group", "defaults", "undo", "redo"):
            getattr(self, name).setIcon(action_icon(name, color))

    def build_toolbar(self) -> QLineEdit:
        """The main toolbar; returns its find box."""
        bar = QToolBar("Main")
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.refresh_icons()
        bar.addActions([self.new, self.open, self.save])
        bar.addSeparator()
        bar.addActions([self.undo, self.redo])
        bar.addSeparator()
        bar.addActions([self.zoom_out, self.zoom_in, self.fit, self.arrange])
        bar.addSeparator()
        bar.addActions([self.group, self.defaults])
        for action, label in ((self.arrange, "Arrange"), (self.group, "Group"), (self.defaults, "Defaults")):
            action.setIconText(label)
            bar.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addSeparator()
        find = QLineEdit()
        find.setPlaceholderText("Find layer (Ctrl+F)")
        find.setClearButtonEnabled(True)
        find.setMaximumWidth(240)
        bar.addWidget(find)
        self.window.addToolBar(bar)
        return find

    def add_panel_action(self, index: int, title: str, slot) -> None:
        action = QAction(title, self.window)
        if index < 9:
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        action.triggered.connect(lambda checked=False: slot())
        self.window.addAction(action)
        self.panels_menu.addAction(action)

    def set_theme_checked(self, name: str) -> None:
        for action in self.themes.actions():
            action.setChecked(action.data() == name)

    def _fill_recent(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        recent = self.window.settings.recent_files()
        for path in recent:
            action = menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.window.open_path(p))
        if recent:
            menu.addSeparator()
            menu.addAction("Clear List", self.window.settings.clear_recent)
        else:
            menu.addAction("(none)").setEnabled(False)


def _redo_keys() -> list[QKeySequence]:
    """Ctrl+Shift+Z and Ctrl+Y, then any other platform binding of Redo, each once."""
    keys = [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
    return keys + [key for key in QKeySequence.keyBindings(Keys.Redo) if key not in keys]
