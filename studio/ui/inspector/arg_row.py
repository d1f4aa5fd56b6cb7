"""One argument on a node's page: its label, editor, where its value comes from, the reset button and
the message about it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGridLayout, QLabel, QToolButton

from studio.engine.layers.registry import Param
from studio.engine.spec.resolve import DATA, DEFAULT, EXPLICIT
from studio.ui.editors import ArgEditor, ChoiceEditor, TextEditor, make_editor
from studio.ui.format import value_text

if TYPE_CHECKING:
    from studio.ui.inspector.dock import Inspector

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
