"""The layer palette: every registry layer by category, the user's blocks and the templates, with
icons, a search box and the help text as tooltip. Drag an entry onto the canvas, or press Enter /
double-click to add it below the selected layer."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine.layers.registry import CATEGORIES, all_layers
from studio.engine.spec.model import ModelSpec, SpecEvent
from studio.engine.templates import list_templates
from studio.ui.icons import category_icon
from studio.ui.mime import PALETTE_MIME, palette_mime

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # (kind, name) of an entry


class PaletteTree(QTreeWidget):
    """The tree of entries; a drag carries the entry's palette mime data."""

    def mimeData(self, items) -> QMimeData:
        entry = items[0].data(0, ENTRY_ROLE) if items else None
        return palette_mime(*entry) if entry else QMimeData()

    def mimeTypes(self) -> list[str]:
        return [PALETTE_MIME]


class LayerPalette(QWidget):
    """Search box over the tree of layers, blocks and templates."""

    sigActivated = Signal(str, str)  # kind (layer, block, template), name: add it to the canvas
    sigOpenBlock = Signal(str)  # block name: open it in a canvas tab
    sigDeleteBlock = Signal(str)  # block name: delete the (unused) block

    def __init__(self, spec: ModelSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree = PaletteTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setIndentation(14)
        self.tree.setUniformRowHeights(True)
        self.tree.itemActivated.connect(self._activated)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.categories: dict[str, QTreeWidgetItem] = {}
        self._build()
        spec.subscribe(self._on_event)

    def _build(self) -> None:
        for category in [*CATEGORIES, "Templates"]:
            item = QTreeWidgetItem([category])
            item.setIcon(0, category_icon(category))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            self.tree.addTopLevelItem(item)
            self.categories[category] = item
        for layer in all_layers():
            if layer.name == "block":
                continue  # block uses come from the user's blocks below
            self._entry(self.categories[layer.category], "layer", layer.name, layer.display_name,
                        f"<b>{layer.name}</b><br>{layer.help}", layer.category)
        for template in list_templates():
            shape = "×".join(str(d) for d in template.input_shape)
            self._entry(self.categories["Templates"], "template", template.name, template.name,
                        f"<b>{template.name}</b> (input {shape})<br>{template.help}", "Templates")
        self.refresh_blocks()
        self.tree.expandAll()

    def _entry(self, parent: QTreeWidgetItem, kind: str, name: str, label: str, tip: str,
               category: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [label])
        item.setIcon(0, category_icon(category))
        item.setToolTip(0, tip)
        item.setData(0, ENTRY_ROLE, (kind, name))
        flags = Qt.ItemFlag
        item.setFlags(flags.ItemIsEnabled | flags.ItemIsSelectable | flags.ItemIsDragEnabled)
        return item

    def refresh_blocks(self) -> None:
        """List the spec's blocks under Blocks (after a block is added, removed or a file opened)."""
        parent = self.categories["Blocks"]
        parent.takeChildren()
        for name, block in self.spec.blocks.items():
            params = ", ".join(f"{k}={v}" for k, v in block.params.items())
            tip = f"<b>block {name}</b>({params})<br>{block.help or 'A reusable block of this project.'}"
            self._entry(parent, "block", name, name, tip, "Blocks")
        parent.setExpanded(True)
        self.filter(self.search.text())

    def entries(self) -> list[QTreeWidgetItem]:
        """Every entry item (not the category headers)."""
        return [category.child(i) for category in self.categories.values()
                for i in range(category.childCount())]

    def entry_item(self, kind: str, name: str) -> QTreeWidgetItem | None:
        return next((item for item in self.entries() if item.data(0, ENTRY_ROLE) == (kind, name)), None)

    def mime_data(self, kind: str, name: str) -> QMimeData:
        """The mime data a drag of entry (``kind``, ``name``) carries (what tests drop)."""
        return self.tree.mimeData([self.entry_item(kind, name)])

    def filter(self, text: str) -> None:
        """Show entries whose name, label or help contains every word of ``text``."""
        words = text.lower().split()
        for category in self.categories.values():
            visible = 0
            for i in range(category.childCount()):
                item = category.child(i)
                haystack = f"{item.text(0)} {item.data(0, ENTRY_ROLE)[1]} {item.toolTip(0)}".lower()
                hidden = not all(word in haystack for word in words)
                item.setHidden(hidden)
                visible += not hidden
            category.setHidden(visible == 0)
            if words:
                category.setExpanded(True)

    def _activate_first(self) -> None:
        """Enter in the search box: add the best match (exact name, then a name that starts with
        the text, then the first entry shown)."""
        text = self.search.text().strip().lower()
        visible = [item for item in self.entries() if not item.isHidden()]

        def rank(item: QTreeWidgetItem) -> int:
            names = (item.text(0).lower(), item.data(0, ENTRY_ROLE)[1].lower())
            return 0 if text in names else 1 if any(n.startswith(text) for n in names) else 2

        if visible:
            self._activated(min(visible, key=rank))

    def _activated(self, item: QTreeWidgetItem, column: int = 0) -> None:
        entry = item.data(0, ENTRY_ROLE)
        if entry:
            self.sigActivated.emit(*entry)

    def _menu(self, position) -> None:
        item = self.tree.itemAt(position)
        entry = item.data(0, ENTRY_ROLE) if item is not None else None
        if not entry or entry[0] != "block":
            return
        menu = QMenu(self)
        menu.addAction("Open Block", lambda: self.sigOpenBlock.emit(entry[1]))
        menu.addAction("Delete Block", lambda: self.sigDeleteBlock.emit(entry[1]))
        menu.exec(self.tree.viewport().mapToGlobal(position))

    def _on_event(self, event: SpecEvent) -> None:
        if event.kind in ("block_added", "block_removed", "reset"):
            self.refresh_blocks()
