"""The inspector's page for one node: its id (renaming warns about checkpoint names), type and help,
shapes and counts, the problems no argument row holds and their fixes, one row per argument, and a
repeatable layer's structure."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGridLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from studio.engine.layers.registry import Param, get_layer
from studio.engine.spec.build import NodeInfo
from studio.engine.spec.edits import used_block
from studio.engine.spec.model import Node
from studio.engine.spec.resolve import DEFAULT, EXPLICIT
from studio.ui.editors import format_text, is_reference, param_for_value
from studio.ui.format import count_text, shape_text
from studio.ui.icons import category_icon
from studio.ui.inspector.arg_row import ERROR_STYLE, NOTE_STYLE, ArgRow, issue_arg
from studio.ui.inspector.fix_buttons import FixButtons
from studio.ui.inspector.structure_box import StructureBox

if TYPE_CHECKING:
    from studio.ui.inspector.dock import Inspector


class NodePage(QWidget):
    """Edits ``node`` of ``inspector``'s scene; ``rows`` by argument name."""

    def __init__(self, inspector: Inspector, node: Node) -> None:
        super().__init__()
        self.inspector, self.node_id = inspector, node.id
        self.rows: dict[str, ArgRow] = {}
        self.structure: StructureBox | None = None
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        layer = get_layer(node.type)
        layout.addWidget(self._header(node, layer))
        params = self._params(node, layer)
        if params:
            box = QGroupBox("Arguments")
            grid = QGridLayout(box)
            grid.setColumnStretch(1, 1)
            for index, param in enumerate(params):
                reference = is_reference(node.args.get(param.name))
                self.rows[param.name] = ArgRow(inspector, param, grid, index * 3, reference)
            layout.addWidget(box)
        if layer is not None and layer.repeatable:
            self.structure = StructureBox(inspector, node)
            layout.addWidget(self.structure)

    def _header(self, node: Node, layer) -> QWidget:
        header = QWidget()
        form = QFormLayout(header)
        form.setContentsMargins(0, 0, 0, 0)
        self.id_edit = QLineEdit(node.id)
        self.id_edit.setToolTip("The node id names its parameters (id.weight)")
        self.id_edit.editingFinished.connect(lambda: self.inspector.rename(self.id_edit.text().strip()))
        self.id_edit.textEdited.connect(self._rename_warning)
        form.addRow("Id", self.id_edit)
        self.rename_note = QLabel()
        self.rename_note.setWordWrap(True)
        self.rename_note.setStyleSheet("color: #d98a00;")
        self.rename_note.hide()
        form.addRow(self.rename_note)
        kind = QLabel(f"<b>{html.escape(layer.display_name if layer else node.type)}</b>")
        icon = QLabel()
        icon.setPixmap(category_icon(layer.category if layer else "Blocks").pixmap(18, 18))
        type_row = QWidget()
        row_layout = QGridLayout(type_row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(icon, 0, 0)
        row_layout.addWidget(kind, 0, 1)
        row_layout.setColumnStretch(1, 1)
        form.addRow("Type", type_row)
        help_label = QLabel(self._help_text(node, layer))
        help_label.setWordWrap(True)
        help_label.setStyleSheet(NOTE_STYLE)
        form.addRow(help_label)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        form.addRow(self.facts)
        self.node_issues = QLabel()
        self.node_issues.setWordWrap(True)
        self.node_issues.setStyleSheet(ERROR_STYLE)
        form.addRow(self.node_issues)
        self.fixes = FixButtons(self.inspector)
        form.addRow(self.fixes)
        return header

    def _help_text(self, node: Node, layer) -> str:
        if node.type == "block":
            scene = self.inspector.scene
            block = used_block(scene.spec, node, scene.block)
            return (block.help if block and block.help else "One use of a reusable block; double-click it "
                    "to open the block.")
        return layer.help if layer else f"unknown layer type '{node.type}'"

    def _params(self, node: Node, layer) -> list[Param]:
        if node.type != "block":
            return list(layer.params) if layer else []
        scene = self.inspector.scene
        block = used_block(scene.spec, node, scene.block)
        params = [layer.param("block")]
        if block is not None:
            params += [param_for_value(name, value) for name, value in block.params.items()]
        return params

    def _rename_warning(self, text: str) -> None:
        changed = text.strip() != self.node_id
        self.rename_note.setText(f"Renaming changes the parameter names ({self.node_id}.weight → "
                                 f"{text.strip() or '…'}.weight): checkpoints saved before will need a "
                                 "name mapping to restore." if changed else "")
        self.rename_note.setVisible(changed)

    def refresh(self, node: Node, analysis) -> None:
        """Show ``node``'s current values, their sources and what ``analysis`` says about it."""
        info: NodeInfo | None = analysis.nodes.get(self.node_id) if analysis else None
        issues = analysis.issues_for(self.node_id) if analysis else []
        located = {id(issue): issue.arg or issue_arg(issue.message, list(self.rows)) for issue in issues}
        for name, row in self.rows.items():
            arg = info.args.get(name) if info is not None else None
            if name in node.args:  # explicit values show at once, before the next analysis
                raw = node.args[name]
                bound = f"block parameter, now {format_text(arg.value)}" if is_reference(raw) and arg else ""
                value, source, origin = raw, EXPLICIT, bound
            elif arg is not None and arg.source != EXPLICIT:
                value, source, origin = arg.value, arg.source, arg.origin
            else:
                value, source, origin = row.param.default, DEFAULT, ""
            row.show(value, source, origin, [i.message for i in issues if located[id(i)] == name])
        unplaced = [issue for issue in issues if located[id(issue)] not in self.rows]
        self.node_issues.setText("\n".join(f"⚠ {issue.message}" for issue in unplaced))
        self.node_issues.setVisible(bool(self.node_issues.text()))
        aimed = [i for i in (analysis.issues if analysis else []) if i.fix and i.fix.node == self.node_id]
        self.fixes.show_fixes(issues + aimed)  # on the output and on the layer the fix changes
        if info is not None and info.output_shape is not None:
            inputs = ", ".join(shape_text(s) for s in info.input_shapes.values())
            self.facts.setText(f"in {inputs or '—'} → out <b>{shape_text(info.output_shape)}</b><br>"
                               f"{info.params:,} parameters · {count_text(info.macs)} multiply-adds")
        else:
            self.facts.setText("shape unknown until the problem is fixed" if issues else "")
        if self.structure is not None:
            self.structure.show_node(node)
