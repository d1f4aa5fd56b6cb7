"""The inspector: the selected node's id, type, help, arguments (one editor per parameter, with
inherited values greyed and their source named), repeat/stack/share, and inline messages.

With nothing selected it shows the model (or block) summary and the default scopes button. The pages
are their own widgets (:mod:`~studio.ui.inspector.node_page`, :mod:`~studio.ui.inspector.model_page`);
this scroll area follows the scene, shows one page at a time and makes the edits they ask for.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QScrollArea, QSpinBox, QVBoxLayout, QWidget

from studio.engine.errors import StudioError
from studio.engine.spec.model import SpecEvent
from studio.ui.canvas.scene import CanvasScene
from studio.ui.inspector.arg_row import ArgRow
from studio.ui.inspector.fix_buttons import FixButtons
from studio.ui.inspector.model_page import ModelPage
from studio.ui.inspector.node_page import NodePage


class Inspector(QScrollArea):
    """Edits the selected node of the current canvas scene."""

    sigMessage = Signal(str)  # a refused edit, for the status line
    sigEditDefaults = Signal()  # the user asked to edit the default scopes
    sigSelectNode = Signal(str)  # the user clicked a problem naming this node

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scene: CanvasScene | None = None
        self.node_id: str | None = None
        self.page: NodePage | ModelPage | None = None  # None: no scene, an empty page
        self.setWidget(QWidget())

    # ---- the page shown -----------------------------------------------------------------------
    @property
    def node_page(self) -> NodePage | None:
        return self.page if isinstance(self.page, NodePage) else None

    @property
    def rows(self) -> dict[str, ArgRow]:
        """The selected node's argument rows by name ({} on the model's page)."""
        return self.node_page.rows if self.node_page is not None else {}

    @property
    def fixes(self) -> FixButtons | None:
        return self.page.fixes if self.page is not None else None

    @property
    def summary(self) -> QLabel | None:
        return self.page.summary if isinstance(self.page, ModelPage) else None

    @property
    def id_edit(self) -> QLineEdit | None:
        return self.node_page.id_edit if self.node_page is not None else None

    @property
    def rename_note(self) -> QLabel | None:
        return self.node_page.rename_note if self.node_page is not None else None

    @property
    def repeat_box(self) -> QSpinBox | None:
        structure = self.node_page.structure if self.node_page is not None else None
        return structure.repeat_box if structure is not None else None

    @property
    def stack_edit(self) -> QLineEdit | None:
        structure = self.node_page.structure if self.node_page is not None else None
        return structure.stack_edit if structure is not None else None

    # ---- target -------------------------------------------------------------------------------
    def set_scene(self, scene: CanvasScene | None) -> None:
        """Follow the selection of ``scene`` (the canvas tab in front)."""
        if self.scene is not None:
            for signal, slot in ((self.scene.selectionChanged, self._selection_changed),
                                 (self.scene.sigAnalysed, self.refresh)):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect(slot)
            self.scene.spec.unsubscribe(self._on_event)
        self.scene = scene
        if scene is not None:
            scene.selectionChanged.connect(self._selection_changed)
            scene.sigAnalysed.connect(self.refresh)
            scene.spec.subscribe(self._on_event)
        self._selection_changed()

    def _selection_changed(self) -> None:
        selected = self.scene.selected_ids() if self.scene is not None else []
        self.node_id = selected[0] if len(selected) == 1 else None
        self._build()

    def _on_event(self, event: SpecEvent) -> None:
        if self.scene is None or event.block != self.scene.block or event.kind == "node_moved":
            return
        if event.kind == "node_renamed" and event.data == self.node_id:
            self.node_id = event.node
            self._build()
        elif event.kind == "reset" or (event.kind == "node_removed" and event.node == self.node_id):
            self.node_id = None
            self._build()
        elif event.node == self.node_id and event.kind == "node_changed":
            if event.data in ("type", "stack", "block"):
                self._build()
            else:
                self.refresh()

    # ---- building -----------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Build the page again (after a theme change)."""
        self._build()

    def _build(self) -> None:
        if self.scene is None:
            self.page = None
            page = QWidget()
            QVBoxLayout(page).setAlignment(Qt.AlignmentFlag.AlignTop)
        elif self.node_id is not None and self.node_id in self.scene.graph.nodes:
            page = self.page = NodePage(self, self.scene.graph.nodes[self.node_id])
        else:
            page = self.page = ModelPage(self)
        self.setWidget(page)
        self.refresh()

    def refresh(self, *_args) -> None:
        """Show current values, their sources and the analysis messages."""
        if self.scene is None:
            return
        nodes = self.scene.graph.nodes
        if self.node_id is None or self.node_id not in nodes:
            if isinstance(self.page, ModelPage):
                self.page.refresh(self.scene.analysis)
        elif self.node_page is not None:
            self.node_page.refresh(nodes[self.node_id], self.scene.analysis)

    # ---- edits --------------------------------------------------------------------------------
    def set_arg(self, name: str, value) -> None:
        if self.scene is None or self.node_id is None:
            return
        self._run(lambda: self.scene.editor.set_arg(self.node_id, name, value))

    def set_field(self, name: str, value) -> None:
        """Set the selected node's ``repeat``, ``stack`` or ``share``."""
        if self.scene is not None and self.node_id is not None:
            self._run(lambda: self.scene.editor.set_field(self.node_id, name, value))

    def rename(self, new_id: str) -> None:
        """Rename the selected node (its parameters are named after it)."""
        if self.node_id is None or new_id == self.node_id:
            return
        old = self.node_id
        if self._run(lambda: self.scene.editor.rename(old, new_id)) is not False:
            self.sigMessage.emit(f"Renamed {old} → {new_id}: its parameters are now {new_id}.*")

    def apply_fix(self, fix) -> None:
        """Make the edit a problem offers (one undo step)."""
        self._run(lambda: self.scene.editor.set_arg(fix.node, fix.arg, fix.value))

    def _run(self, action):
        try:
            action()
        except StudioError as exc:
            self.sigMessage.emit(str(exc))
            if self.id_edit is not None:
                self.id_edit.setText(self.node_id or "")
            return False
        return True
