"""Edit the default scopes (TF-Slim arg_scope) of the model or a block: for chosen layer types,
default arguments that every such layer inherits unless it sets its own."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine.layers.registry import Param, all_layers, get_layer
from studio.engine.spec.model import Scope
from studio.ui.editors import format_text, parse_text

ALL = "*"


def params_of(layers: list[str]) -> dict[str, Param]:
    """Parameters offered for a scope over ``layers`` (every layer's when ``*`` is among them)."""
    names = [layer.name for layer in all_layers()] if ALL in layers else layers
    found: dict[str, Param] = {}
    for name in names:
        layer = get_layer(name)
        for param in layer.params if layer else ():
            found.setdefault(param.name, param)
    return found


def parse_scope_args(layers: list[str], rows: list[tuple[str, str]]) -> tuple[dict, list[str]]:
    """Typed values for ``(argument, text)`` rows; returns the arguments and the problems found."""
    params, args, problems = params_of(layers), {}, []
    for name, text in rows:
        if not name:
            continue
        param = params.get(name)
        if param is None:
            problems.append(f"none of the chosen layer types has an argument '{name}'")
            continue
        try:
            value = parse_text(param, text.strip())
        except ValueError as exc:
            problems.append(str(exc))
            continue
        message = param.check(value)
        if message:
            problems.append(message)
        else:
            args[name] = value
    return args, problems


class DefaultsDialog(QDialog):
    """A list of scopes on the left; the selected scope's layer types and arguments on the right."""

    def __init__(self, scopes: list[Scope], owner: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Defaults of {owner}")
        self.resize(720, 460)
        self.scopes = [Scope(list(s.layers), dict(s.args)) for s in scopes]
        self.scope_list = QListWidget()
        self.scope_list.currentRowChanged.connect(self._show_scope)
        add, remove = QPushButton("Add scope"), QPushButton("Remove")
        add.clicked.connect(self._add_scope)
        remove.clicked.connect(self._remove_scope)
        self.layer_list = QListWidget()
        for name in [ALL, *(layer.name for layer in all_layers() if layer.params)]:
            item = QListWidgetItem("all layers (*)" if name == ALL else name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.layer_list.addItem(item)
        self.layer_list.itemChanged.connect(lambda item: self._store())
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["argument", "value"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(lambda item: self._store())
        add_arg, remove_arg = QPushButton("Add argument"), QPushButton("Remove argument")
        add_arg.clicked.connect(lambda: self._add_arg())
        remove_arg.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()) or self._store())
        self.problems = QLabel()
        self.problems.setStyleSheet("color: #d9342b;")
        self.problems.setWordWrap(True)
        buttons = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(buttons.Ok | buttons.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        grid = QGridLayout()
        grid.addWidget(QLabel("Scopes (later ones win)"), 0, 0)
        grid.addWidget(self.scope_list, 1, 0)
        grid.addLayout(_row(add, remove), 2, 0)
        grid.addWidget(QLabel("Layer types"), 0, 1)
        grid.addWidget(self.layer_list, 1, 1)
        grid.addWidget(QLabel("Default arguments"), 0, 2)
        grid.addWidget(self.table, 1, 2)
        grid.addLayout(_row(add_arg, remove_arg), 2, 2)
        grid.setColumnStretch(2, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self._loading = False
        self._refresh_list()
        if self.scopes:
            self.scope_list.setCurrentRow(0)
        self._show_scope(self.scope_list.currentRow())

    def result_scopes(self) -> list[Scope]:
        return [Scope(list(s.layers), dict(s.args)) for s in self.scopes if s.layers]

    def _refresh_list(self) -> None:
        row = self.scope_list.currentRow()
        self.scope_list.blockSignals(True)
        self.scope_list.clear()
        for index, scope in enumerate(self.scopes, start=1):
            self.scope_list.addItem(f"#{index}: {', '.join(scope.layers) or '(no layers)'}")
        self.scope_list.setCurrentRow(min(max(row, 0), len(self.scopes) - 1))
        self.scope_list.blockSignals(False)

    def _show_scope(self, row: int) -> None:
        self._loading = True
        scope = self.scopes[row] if 0 <= row < len(self.scopes) else None
        for i in range(self.layer_list.count()):
            item = self.layer_list.item(i)
            checked = scope is not None and item.data(Qt.ItemDataRole.UserRole) in scope.layers
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.table.setRowCount(0)
        for name, value in (scope.args.items() if scope else []):
            self._add_arg(name, format_text(value))
        self.layer_list.setEnabled(scope is not None)
        self.table.setEnabled(scope is not None)
        self._loading = False
        self._validate()

    def _store(self) -> None:
        """Copy the editors into the selected scope and re-check it."""
        row = self.scope_list.currentRow()
        if self._loading or not 0 <= row < len(self.scopes):
            return
        items = [self.layer_list.item(i) for i in range(self.layer_list.count())]
        layers = [item.data(Qt.ItemDataRole.UserRole) for item in items
                  if item.checkState() == Qt.CheckState.Checked]
        args, _ = parse_scope_args(layers, self._rows())
        self.scopes[row] = Scope(layers, args)
        self._refresh_list()
        self._validate()

    def _validate(self) -> None:
        problems = []
        row = self.scope_list.currentRow()
        if 0 <= row < len(self.scopes):
            problems = parse_scope_args(self.scopes[row].layers, self._rows())[1]
        self.problems.setText("\n".join(problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problems)

    def _rows(self) -> list[tuple[str, str]]:
        table = self.table
        return [(_text(table.item(r, 0)), _text(table.item(r, 1))) for r in range(table.rowCount())]

    def _add_scope(self) -> None:
        self.scopes.append(Scope([], {}))
        self._refresh_list()
        self.scope_list.setCurrentRow(len(self.scopes) - 1)

    def _remove_scope(self) -> None:
        row = self.scope_list.currentRow()
        if 0 <= row < len(self.scopes):
            del self.scopes[row]
            self._refresh_list()
            self._show_scope(self.scope_list.currentRow())

    def _add_arg(self, name: str = "", value: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(name))
        self.table.setItem(row, 1, QTableWidgetItem(value))


def _text(item: QTableWidgetItem | None) -> str:
    return item.text().strip() if item is not None else ""


def _row(*widgets: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout()
    for widget in widgets:
        layout.addWidget(widget)
    return layout
