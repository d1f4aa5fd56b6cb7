"""A repeatable node's structure on its page: repeat N times, a stack of argument sets, weights
shared with another node of the same type."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QSpinBox

from studio.engine.errors import SpecError
from studio.engine.jsonio import parse_json
from studio.engine.layers.registry import Param
from studio.engine.spec.model import Node
from studio.ui.editors import ChoiceEditor

if TYPE_CHECKING:
    from studio.ui.inspector.dock import Inspector


class StructureBox(QGroupBox):
    """Repeat, stack and share of ``node``; each edit goes through ``inspector.set_field``."""

    def __init__(self, inspector: Inspector, node: Node) -> None:
        super().__init__("Structure")
        self.inspector = inspector
        form = QFormLayout(self)
        self.repeat_box = QSpinBox()
        self.repeat_box.setRange(1, 256)
        self.repeat_box.setKeyboardTracking(False)
        self.repeat_box.setToolTip("Apply this layer N times in a row (children id_1, id_2, …)")
        self.repeat_box.valueChanged.connect(lambda value: inspector.set_field("repeat", value))
        form.addRow("Repeat", self.repeat_box)
        self.stack_edit = QLineEdit()
        self.stack_edit.setPlaceholderText('[{"out_features": 32}, …]')
        self.stack_edit.setToolTip("Apply the layer once per argument set (JSON list of objects); empty for "
                                   "none")
        self.stack_edit.editingFinished.connect(self._set_stack)
        form.addRow("Stack", self.stack_edit)
        others = inspector.scene.graph.nodes.values()
        choices = ("", *(n.id for n in others if n.type == node.type and n.id != node.id))
        self.share_edit = ChoiceEditor(Param("share", "choice", "", choices=choices))
        self.share_edit.setToolTip("Reuse the weights of another node of the same type")
        self.share_edit.sigEdited.connect(lambda value: inspector.set_field("share", value or None))
        form.addRow("Share weights", self.share_edit)

    def show_node(self, node: Node) -> None:
        """Show ``node``'s current repeat, stack and share (without editing them)."""
        self.repeat_box.blockSignals(True)
        self.repeat_box.setValue(node.repeat)
        self.repeat_box.setEnabled(node.stack is None)
        self.repeat_box.blockSignals(False)
        self.stack_edit.setText(json.dumps(node.stack) if node.stack is not None else "")
        self.share_edit.set_value(node.share or "")

    def _set_stack(self) -> None:
        text = self.stack_edit.text().strip()
        try:
            value = parse_json(text, "the stack", error=SpecError) if text else None
        except SpecError as exc:
            example = '[{"out_features": 32}]'
            self.inspector.sigMessage.emit(f"{exc}: the stack must be a JSON list, e.g. {example}")
            return
        if value is not None and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            self.inspector.sigMessage.emit("the stack must be a list of argument sets (objects)")
            return
        self.inspector.set_field("stack", value)
