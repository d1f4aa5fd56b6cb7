"""The rule fields of the restore dialog: a preset, prefix strip/add, ordered regex rewrites, include
and exclude patterns. Every edit emits ``sigChanged`` so the plan preview can follow."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine.checkpoints.mapping import NameMapping
from studio.engine.checkpoints.presets import Preset
from studio.engine.checkpoints.selection import Selection

NO_PRESET = "(none)"


def split_patterns(text: str) -> tuple[str, ...]:
    """Patterns typed into a field, separated by spaces or commas."""
    return tuple(part for part in text.replace(",", " ").split() if part)


class RulesEditor(QWidget):
    """Edits a NameMapping and the typed include/exclude patterns."""

    sigChanged = Signal()  # any rule changed
    sigPresetChosen = Signal(str)  # a preset was picked (its name)

    def __init__(self, presets: list[Preset] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.presets = {preset.name: preset for preset in (presets or [])}
        self.preset = QComboBox()
        self.preset.addItem(NO_PRESET)
        for preset in self.presets.values():
            self.preset.addItem(preset.name)
            self.preset.setItemData(self.preset.count() - 1, preset.description, Qt.ItemDataRole.ToolTipRole)
        self.preset.setToolTip("Name mappings shipped with Studio, e.g. torchvision models to the templates")
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.strip = self._line("module.  vgg16/", "Prefixes removed from checkpoint names (the first "
                                "one that matches)")
        self.add_prefix = self._line("net.", "Prefix added to every mapped name")
        self.rewrites = QTableWidget(0, 2)
        self.rewrites.setHorizontalHeaderLabels(["Regex (checkpoint name)", "Replacement"])
        self.rewrites.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.rewrites.verticalHeader().setVisible(False)
        self.rewrites.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rewrites.setMinimumHeight(90)
        self.rewrites.setToolTip("Applied in order after the prefix is stripped")
        self.rewrites.itemChanged.connect(lambda _: self.sigChanged.emit())
        add_rule, remove_rule = QPushButton("Add rewrite"), QPushButton("Remove")
        add_rule.clicked.connect(lambda: self.add_rewrite("", ""))
        remove_rule.clicked.connect(self._remove_rewrite)
        self.include = self._line("everything", "Only model tensors matching one of these are restored: "
                                  "scopes (conv1), name:, suffix:, glob: (*), re:")
        self.exclude = self._line("fc   suffix:.bias   re:^layer4\\.", "Model tensors matching any of these "
                                  "are not restored (unchecking in the tree adds to them)")
        self.tree_patterns = QLabel()
        self.tree_patterns.setWordWrap(True)
        self.table_note = QLabel()

        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Rewrites, in order (\\1 = a group)"), 1)
        buttons.addWidget(add_rule)
        buttons.addWidget(remove_rule)
        rewrites = QVBoxLayout()
        rewrites.setContentsMargins(0, 0, 0, 0)
        rewrites.addLayout(buttons)
        rewrites.addWidget(self.rewrites, 1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Preset", self.preset)
        form.addRow("", self.table_note)
        form.addRow("Strip prefix", self.strip)
        form.addRow("Add prefix", self.add_prefix)
        form.addRow("Include", self.include)
        form.addRow("Exclude", self.exclude)
        form.addRow("", self.tree_patterns)
        layout = QHBoxLayout(self)  # fields on the left, the rewrite table on the right
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form, 1)
        layout.addLayout(rewrites, 1)
        self._table: dict[str, str | None] = {}
        self.table_note.hide()

    def _line(self, placeholder: str, tip: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tip)
        edit.textChanged.connect(lambda _: self.sigChanged.emit())
        return edit

    # ---- reading ------------------------------------------------------------------------------
    def mapping(self) -> NameMapping:
        """The mapping in the fields (CheckpointError for a bad regular expression)."""
        rows = []
        for row in range(self.rewrites.rowCount()):
            pattern, replacement = (self.rewrites.item(row, c) for c in (0, 1))
            if pattern is not None and pattern.text():
                rows.append((pattern.text(), replacement.text() if replacement is not None else ""))
        return NameMapping(strip_prefixes=split_patterns(self.strip.text()), rewrites=tuple(rows),
                           add_prefix=self.add_prefix.text().strip(), table=dict(self._table))

    def typed_selection(self) -> Selection:
        """The typed include/exclude patterns (CheckpointError for a malformed one)."""
        return Selection(split_patterns(self.include.text()), split_patterns(self.exclude.text()))

    # ---- writing ------------------------------------------------------------------------------
    def add_rewrite(self, pattern: str, replacement: str) -> None:
        row = self.rewrites.rowCount()
        self.rewrites.blockSignals(True)
        self.rewrites.insertRow(row)
        self.rewrites.setItem(row, 0, QTableWidgetItem(pattern))
        self.rewrites.setItem(row, 1, QTableWidgetItem(replacement))
        self.rewrites.blockSignals(False)
        if not pattern:
            self.rewrites.editItem(self.rewrites.item(row, 0))
        self.sigChanged.emit()

    def _remove_rewrite(self) -> None:
        rows = sorted({index.row() for index in self.rewrites.selectedIndexes()}, reverse=True)
        for row in rows or [self.rewrites.rowCount() - 1]:
            if row >= 0:
                self.rewrites.removeRow(row)
        self.sigChanged.emit()

    def set_mapping(self, mapping: NameMapping) -> None:
        """Show ``mapping`` in the fields (one sigChanged at the end)."""
        self.blockSignals(True)
        try:
            self.strip.setText("  ".join(mapping.strip_prefixes))
            self.add_prefix.setText(mapping.add_prefix)
            self.rewrites.setRowCount(0)
            for pattern, replacement in mapping.rewrites:
                self.add_rewrite(pattern, replacement)
            self._table = dict(mapping.table)
            self.table_note.setText(f"+ {len(self._table)} explicit name pairs" if self._table else "")
            self.table_note.setVisible(bool(self._table))
        finally:
            self.blockSignals(False)
        self.sigChanged.emit()

    def set_selection(self, selection: Selection) -> None:
        self.blockSignals(True)
        self.include.setText("  ".join(selection.include))
        self.exclude.setText("  ".join(selection.exclude))
        self.blockSignals(False)
        self.sigChanged.emit()

    def show_tree_patterns(self, patterns: list[str]) -> None:
        """The exclusions made by unchecking in the tree (added to the typed ones)."""
        self.tree_patterns.setText(f"Unchecked in the tree: <code>{'  '.join(patterns)}</code>"
                                   if patterns else "")

    def _preset_chosen(self, name: str) -> None:
        if name in self.presets:
            self.set_mapping(self.presets[name].mapping)
        elif name == NO_PRESET:
            self.set_mapping(NameMapping())
        self.sigPresetChosen.emit(name)
