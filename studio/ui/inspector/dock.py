"""The inspector: the selected node's id, type, help, arguments (one editor per parameter, with
inherited values greyed and their source named), repeat/stack/share, and inline messages.

With nothing selected it shows the model (or block) summary and the default scopes button.
"""

from __future__ import annotations

import contextlib
import html
import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.errors import SpecError, StudioError
from studio.engine.jsonio import parse_json
from studio.engine.layers.registry import Param, get_layer
from studio.engine.spec.build import NodeInfo
from studio.engine.spec.edits import used_block
from studio.engine.spec.model import SpecEvent
from studio.engine.spec.resolve import DATA, DEFAULT, EXPLICIT
from studio.ui.canvas.scene import CanvasScene
from studio.ui.editors import (
    ArgEditor,
    ChoiceEditor,
    TextEditor,
    format_text,
    is_reference,
    make_editor,
    param_for_value,
)
from studio.ui.format import bytes_text, count_text, shape_text, value_text
from studio.ui.icons import category_icon

ERROR_STYLE = "color: #d9342b;"
NOTE_STYLE = "color: palette(placeholder-text);"


def issue_arg(message: str, names: list[str]) -> str | None:
    """The argument a message is about, when it names one (``'kernel_size' must…``, ``groups=5``)."""
    return next((name for name in names if f"'{name}'" in message or f"{name}=" in message), None)


class ArgRow:
    """One argument: label, editor, where its value comes from, reset button, message."""

    def __init__(self, inspector: Inspector, param: Param, grid: QGridLayout, row: int,
                 reference: bool = False) -> None:
        self.param = param
        self.label = QLabel(param.name)
        self.label.setToolTip(param.help)
        if reference:  # "$name": a block parameter, typed as text
            self.editor: ArgEditor = TextEditor(param)
        elif param.name == "block":
            self.editor = ChoiceEditor(param, choices=tuple(inspector.scene.spec.blocks))
        else:
            self.editor = make_editor(param)
        self.editor.setToolTip(param.help)
        if param.optional and param.name == "shape" and isinstance(self.editor, TextEditor):
            self.editor.line.setPlaceholderText("from data")  # an input's shape: empty takes the data's
        self.source = QLabel()
        self.source.setStyleSheet(NOTE_STYLE)
        self.reset = QToolButton()
        self.reset.setText("↺")
        self.reset.setToolTip("Remove this override: inherit the default again")
        self.reset.setAutoRaise(True)
        self.message = QLabel()
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.hide()
        grid.addWidget(self.label, row, 0)
        grid.addWidget(self.editor, row, 1)
        grid.addWidget(self.reset, row, 2)
        grid.addWidget(self.source, row + 1, 1, 1, 2)
        grid.addWidget(self.message, row + 2, 1, 1, 2)
        self.editor.sigEdited.connect(lambda value: inspector.set_arg(param.name, value))
        self.editor.sigInvalid.connect(self.show_message)
        self.reset.clicked.connect(lambda: inspector.set_arg(param.name, None))

    def show(self, value, source: str, origin: str, issues: list[str]) -> None:
        self.editor.set_value(value)
        explicit = source == EXPLICIT
        self.editor.set_inherited(not explicit)
        self.reset.setVisible(explicit and self.param.name != "block")
        font = self.label.font()
        font.setBold(explicit)
        self.label.setFont(font)
        if explicit:
            self.source.setText(f"set here ({origin})" if origin else "set here")
        elif source == DATA:
            self.source.setText(f"from data: {value_text(value)}")
        elif source == DEFAULT and value is None and self.param.name == "shape":
            self.source.setText("from data, once a data folder is chosen (Training tab)")
        elif source == DEFAULT:
            self.source.setText("layer default" if self.param.name != "block" else "")
        else:
            self.source.setText(f"inherited from {origin}")
        self.source.setVisible(bool(self.source.text()))
        self.show_message("\n".join(issues))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


class FixButtons(QWidget):
    """One button per problem that one edit solves ("Set fc1 to 3 outputs"), on the model's canvas."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.buttons: list[QPushButton] = []
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def show_fixes(self, issues: list) -> None:
        fixes = [] if self.inspector.scene.block is not None else list(dict.fromkeys(
            issue.fix for issue in issues if issue.fix is not None))
        if [button.text() for button in self.buttons] == [fix.label for fix in fixes]:
            return
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        for fix in fixes:
            button = QPushButton(fix.label)
            button.setToolTip("Make this change (Ctrl+Z undoes it)")
            button.clicked.connect(lambda _checked=False, fix=fix: self.inspector.apply_fix(fix))
            self.layout().addWidget(button)
            self.buttons.append(button)
        self.setVisible(bool(fixes))


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
        self.rows: dict[str, ArgRow] = {}
        self.id_edit = self.summary = self.facts = self.repeat_box = None
        self.setWidget(QWidget())

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
            if event.data in ("type", "stack") or (event.data == "block" and event.kind == "node_changed"):
                self._build()
            else:
                self.refresh()

    # ---- building -----------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Build the page again (after a theme change)."""
        self._build()

    def _build(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.rows = {}
        self.id_edit = self.summary = self.facts = self.repeat_box = self.fixes = None
        if self.scene is None:
            pass
        elif self.node_id is not None and self.node_id in self.scene.graph.nodes:
            self._build_node(layout)
        else:
            self._build_summary(layout)
        self.setWidget(page)
        self.refresh()

    def _build_node(self, layout: QVBoxLayout) -> None:
        node = self.scene.graph.nodes[self.node_id]
        layer = get_layer(node.type)
        header = QWidget()
        form = QFormLayout(header)
        form.setContentsMargins(0, 0, 0, 0)
        self.id_edit = QLineEdit(node.id)
        self.id_edit.setToolTip("The node id names its parameters (id.weight)")
        self.id_edit.editingFinished.connect(self._rename)
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
        self.fixes = FixButtons(self)
        form.addRow(self.fixes)
        layout.addWidget(header)
        params = self._params(node, layer)
        if params:
            box = QGroupBox("Arguments")
            grid = QGridLayout(box)
            grid.setColumnStretch(1, 1)
            for index, param in enumerate(params):
                reference = is_reference(node.args.get(param.name))
                self.rows[param.name] = ArgRow(self, param, grid, index * 3, reference)
            layout.addWidget(box)
        if layer is not None and layer.repeatable:
            layout.addWidget(self._build_structure(node))

    def _help_text(self, node, layer) -> str:
        if node.type == "block":
            block = used_block(self.scene.spec, node, self.scene.block)
            return (block.help if block and block.help else "One use of a reusable block; double-click it "
                    "to open the block.")
        return layer.help if layer else f"unknown layer type '{node.type}'"

    def _params(self, node, layer) -> list[Param]:
        if node.type != "block":
            return list(layer.params) if layer else []
        block = used_block(self.scene.spec, node, self.scene.block)
        params = [layer.param("block")]
        if block is not None:
            params += [param_for_value(name, value) for name, value in block.params.items()]
        return params

    def _build_structure(self, node) -> QGroupBox:
        box = QGroupBox("Structure")
        form = QFormLayout(box)
        self.repeat_box = QSpinBox()
        self.repeat_box.setRange(1, 256)
        self.repeat_box.setKeyboardTracking(False)
        self.repeat_box.setToolTip("Apply this layer N times in a row (children id_1, id_2, …)")
        self.repeat_box.valueChanged.connect(lambda value: self._set_field("repeat", value))
        form.addRow("Repeat", self.repeat_box)
        self.stack_edit = QLineEdit()
        self.stack_edit.setPlaceholderText('[{"out_features": 32}, …]')
        self.stack_edit.setToolTip("Apply the layer once per argument set (JSON list of objects); empty for "
                                   "none")
        self.stack_edit.editingFinished.connect(self._set_stack)
        form.addRow("Stack", self.stack_edit)
        self.share_edit = ChoiceEditor(Param("share", "choice", "", choices=self._share_choices()))
        self.share_edit.setToolTip("Reuse the weights of another node of the same type")
        self.share_edit.sigEdited.connect(lambda value: self._set_field("share", value or None))
        form.addRow("Share weights", self.share_edit)
        return box

    def _share_choices(self) -> tuple[str, ...]:
        node = self.scene.graph.nodes[self.node_id]
        others = self.scene.graph.nodes.values()
        return ("", *(n.id for n in others if n.type == node.type and n.id != node.id))

    def _build_summary(self, layout: QVBoxLayout) -> None:
        selected = self.scene.selected_ids()
        title = (f"{len(selected)} layers selected" if len(selected) > 1 else
                 f"Block {self.scene.block}" if self.scene.block else f"Model {self.scene.spec.name}")
        heading = QLabel(f"<b>{html.escape(title)}</b>")
        layout.addWidget(heading)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.linkActivated.connect(self.sigSelectNode.emit)
        layout.addWidget(self.summary)
        self.fixes = FixButtons(self)
        layout.addWidget(self.fixes)
        defaults = QPushButton("Edit defaults (arg_scope)…")
        defaults.setToolTip("Default arguments for chosen layer types, inherited by every layer here")
        defaults.clicked.connect(self.sigEditDefaults.emit)
        layout.addWidget(defaults)

    # ---- values -------------------------------------------------------------------------------
    def refresh(self, *_args) -> None:
        """Show current values, their sources and the analysis messages."""
        if self.scene is None:
            return
        analysis = self.scene.analysis
        if self.node_id is None or self.node_id not in self.scene.graph.nodes:
            if self.summary is not None:
                self.summary.setText(self._summary_html(analysis))
                self.fixes.show_fixes(analysis.issues if analysis is not None else [])
            return
        node = self.scene.graph.nodes[self.node_id]
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
        if self.facts is None:
            return
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
        if self.repeat_box is not None:
            self.repeat_box.blockSignals(True)
            self.repeat_box.setValue(node.repeat)
            self.repeat_box.setEnabled(node.stack is None)
            self.repeat_box.blockSignals(False)
            self.stack_edit.setText(json.dumps(node.stack) if node.stack is not None else "")
            self.share_edit.set_value(node.share or "")

    def _summary_html(self, analysis) -> str:
        if analysis is None:
            return "This block is not used by the model yet: its shapes are unknown."
        lines = [f"{analysis.total_params:,} parameters ({analysis.trainable_params:,} trainable)",
                 f"{count_text(analysis.total_macs)} multiply-adds per sample",
                 f"activations: {bytes_text(analysis.activation_bytes(1))} per sample"]
        problems = [i for i in analysis.issues if i.severity == "error"]
        if problems:
            lines.append(f"<br><b style='{ERROR_STYLE}'>{len(problems)} problem"
                         f"{'s' if len(problems) != 1 else ''}:</b>")
            for issue in problems[:20]:
                target = html.escape(issue.node or "")
                where = f"<a href='{target}'>{target}</a>" if issue.node else "model"
                lines.append(f"{where}: {html.escape(issue.message)}")
        return "<br>".join(lines)

    # ---- edits --------------------------------------------------------------------------------
    def set_arg(self, name: str, value) -> None:
        if self.scene is None or self.node_id is None:
            return
        self._run(lambda: self.scene.editor.set_arg(self.node_id, name, value))

    def _set_field(self, name: str, value) -> None:
        if self.scene is not None and self.node_id is not None:
            self._run(lambda: self.scene.editor.set_field(self.node_id, name, value))

    def _set_stack(self) -> None:
        text = self.stack_edit.text().strip()
        try:
            value = parse_json(text, "the stack", error=SpecError) if text else None
        except SpecError as exc:
            self.sigMessage.emit(f'{exc}: the stack must be a JSON list, e.g. [{{"out_features": 32}}]')
            return
        if value is not None and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            self.sigMessage.emit("the stack must be a list of argument sets (objects)")
            return
        self._set_field("stack", value)

    def _rename_warning(self, text: str) -> None:
        changed = text.strip() != self.node_id
        self.rename_note.setText(f"Renaming changes the parameter names ({self.node_id}.weight → "
                                 f"{text.strip() or '…'}.weight): checkpoints saved before will need a "
                                 "name mapping to restore." if changed else "")
        self.rename_note.setVisible(changed)

    def _rename(self) -> None:
        new_id = self.id_edit.text().strip()
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

