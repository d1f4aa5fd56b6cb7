"""The window's edit commands that are more than one canvas call: adding from the palette, deleting and
grouping into blocks, scope defaults, going to a node, renaming, the minimap, and which edit actions
the selection enables."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog

from studio.engine.errors import StudioError
from studio.ui.defaults_dialog import DefaultsDialog

CANVAS = "canvas"


class EditCommands:
    """The commands of ``window`` (its canvases, actions, inspector and document)."""

    def __init__(self, window) -> None:
        self.window = window

    def add_from_palette(self, kind: str, name: str) -> None:
        """Enter or double-click in the palette: add below the selected layer of the canvas."""
        window = self.window
        window.show_panel(CANVAS)
        scene = window.scene()
        if kind == "template":
            bottom = max((n.pos[1] for n in scene.graph.nodes.values()), default=-110.0)
            scene.select(scene.run(lambda: scene.editor.add_template(name, (0.0, bottom + 140.0))) or [])
        else:
            scene.add_after_selection(f"block:{name}" if kind == "block" else name)
        window.view().setFocus()

    def delete_block(self, name: str) -> None:
        """Delete an unused block definition (a message names its users otherwise)."""
        editor = self.window.canvases[None].canvas().editor
        try:
            editor.remove_block(name)
        except StudioError as exc:
            self.window.message(str(exc))

    def group_selection(self) -> None:
        scene = self.window.scene()
        if not scene.selected_ids():
            self.window.message("Select the layers to group first")
            return
        suggestion = scene.editor.fresh_block_name()
        name, ok = QInputDialog.getText(self.window, "Group into block", "Name of the new block:",
                                        text=suggestion)
        if ok and name.strip():
            scene.group_selection(name.strip())

    def edit_defaults(self) -> None:
        window = self.window
        scene = window.scene()
        owner = f"block {scene.block}" if scene.block else f"model {window.document.spec.name}"
        dialog = DefaultsDialog(scene.graph.defaults, owner, window)
        if dialog.exec():
            scene.run(lambda: scene.editor.set_defaults(dialog.result_scopes()))

    def go_to_node(self, node_id: str) -> None:
        if node_id:
            window = self.window
            window.show_panel(CANVAS)
            window.canvas_tabs.setCurrentWidget(window.canvases[None])
            window.view().center_on_node(node_id)

    def focus_rename(self) -> None:
        window = self.window
        window.show_dock("inspector")
        if window.inspector.id_edit is not None:
            window.inspector.id_edit.setFocus()
            window.inspector.id_edit.selectAll()

    def toggle_minimap(self) -> None:
        mode = "on" if self.window.actions_.minimap.isChecked() else "off"
        for view in self.window.canvases.values():
            view.set_minimap_mode(mode)

    def open_selected_block(self) -> None:
        scene = self.window.scene()
        selected = scene.selected_ids()
        if len(selected) == 1:
            scene.open_node(selected[0])

    def update_actions(self) -> None:
        """Enable the edit actions that apply to the selection of the canvas in front."""
        actions, scene = self.window.actions_, self.window.scene()
        selected = scene.selected_ids()
        nodes = [scene.graph.nodes[i] for i in selected if i in scene.graph.nodes]
        single = nodes[0] if len(nodes) == 1 else None
        for action in (actions.cut, actions.copy, actions.duplicate, actions.group):
            action.setEnabled(bool(nodes))
        actions.delete.setEnabled(bool(nodes) or bool(scene.selected_edges()))
        actions.ungroup.setEnabled(single is not None and single.type == "block")
        actions.open_block.setEnabled(single is not None and single.type == "block")
        actions.unroll.setEnabled(single is not None and single.instance_count > 1)
        actions.rename.setEnabled(single is not None)
