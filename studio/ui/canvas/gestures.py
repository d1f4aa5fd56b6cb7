"""What the user does on a canvas besides connecting: drops from the palette, keyboard adding,
double-click, delete, the clipboard, group/ungroup/unroll. A mixin of :class:`CanvasScene`; every
edit goes through the scene's :class:`GraphEditor`, a refused one becomes a status message."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QApplication

from studio.engine.errors import StudioError
from studio.engine.spec.edits import fragment_from_text, used_block
from studio.ui.canvas import style
from studio.ui.canvas.edge_item import EdgeItem
from studio.ui.mime import fragment_mime, fragment_text, set_clipboard


class SceneGestures:
    """Gestures of a canvas scene."""

    def run(self, action) -> object:
        """Run an edit; a refused one becomes a status message instead of an exception."""
        try:
            return action()
        except StudioError as exc:
            self.sigMessage.emit(str(exc))
            return None

    def drop(self, entry: dict, pos: QPointF) -> list[str]:
        """Add a palette entry at ``pos``; dropped on a connection, insert it there."""
        kind, name = entry["kind"], entry["name"]
        top = (style.snap(pos.x()), style.snap(pos.y() - style.NODE_HEIGHT / 2))
        if kind == "template":
            ids = self.run(lambda: self.editor.add_template(name, top)) or []
        else:
            layer = f"block:{name}" if kind == "block" else name
            edge = self.edge_at(pos)
            if edge is not None:
                new = self.run(lambda: self.editor.insert_on_edge(layer, edge.edge, top))
            else:
                new = self.run(lambda: self.editor.add(layer, top))
            ids = [new] if new else []
        self.select(ids)
        return ids

    def edge_at(self, pos: QPointF) -> EdgeItem | None:
        for item in self.items(QRectF(pos.x() - 5, pos.y() - 5, 10, 10)):
            if isinstance(item, EdgeItem):
                return item
        return None

    def highlight_edge_at(self, pos: QPointF | None) -> None:
        """Mark the connection a drop at ``pos`` would go into."""
        target = self.edge_at(pos) if pos is not None else None
        for item in self.edge_items.values():
            item.set_highlighted(item is target)

    def add_after_selection(self, kind: str) -> str | None:
        """Keyboard adding: put a layer below the selected one and connect it."""
        selected = self.selected_ids()
        after = selected[0] if len(selected) == 1 else None
        node_id = self.run(lambda: self.editor.add_after(kind, after))
        if node_id:
            self.select([node_id])
        return node_id

    def open_node(self, node_id: str) -> None:
        """Double-click: open a block use's block; expand a repeat/stack node in place."""
        node = self.graph.nodes.get(node_id)
        if node is None:
            return
        used = used_block(self.spec, node, self.block) if node.type == "block" else None
        if used is not None:
            self.sigOpenBlock.emit(used.name)
        else:
            self.nodes[node_id].toggle_expanded()

    def delete_selection(self) -> None:
        ids, edges = self.selected_ids(), self.selected_edges()
        if ids or edges:
            self.run(lambda: self.editor.remove(ids, edges))

    def copy_selection(self) -> bool:
        ids = self.selected_ids()
        if not ids:
            return False
        set_clipboard(fragment_mime(self.editor.copy(ids)))
        self._paste_count = 0
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            self.delete_selection()

    def paste(self) -> list[str]:
        text = fragment_text(QApplication.clipboard().mimeData())
        try:
            fragment = fragment_from_text(text)
        except StudioError as exc:
            self.sigMessage.emit(str(exc))
            return []
        self._paste_count += 1
        step = 40.0 * self._paste_count
        ids = self.run(lambda: self.editor.paste(fragment, (step, step))) or []
        self.select(ids)
        return ids

    def duplicate_selection(self) -> list[str]:
        ids = self.run(lambda: self.editor.duplicate(self.selected_ids())) if self.selected_ids() else []
        self.select(ids or [])
        return ids or []

    def group_selection(self, name: str | None = None) -> str | None:
        use = self.run(lambda: self.editor.group(self.selected_ids(), name))
        if use:
            self.select([use])
        return use

    def ungroup_selection(self) -> list[str]:
        return self._expand_selected(self.editor.ungroup, "select one block to ungroup")

    def unroll_selection(self) -> list[str]:
        return self._expand_selected(self.editor.unroll, "select one repeat or stack node to unroll")

    def _expand_selected(self, action, hint: str) -> list[str]:
        selected = self.selected_ids()
        if len(selected) != 1:
            self.sigMessage.emit(hint)
            return []
        ids = self.run(lambda: action(selected[0])) or []
        self.select(ids)
        return ids
