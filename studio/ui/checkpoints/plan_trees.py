"""The restore dialog's two trees: the model's tensors (checkable by scope) with what the plan does
to each, and the checkpoint's tensors with the model name each maps to and whether it is used."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from studio.engine.checkpoints.plan import RestorePlan
from studio.ui.checkpoints.scopes import Scope, group_by_scope, leaf_label
from studio.ui.format import shape_text

NAME_ROLE = Qt.ItemDataRole.UserRole
COLORS = {"restore": "#2e8b57", "mismatch": "#d9342b", "missing": "#d98a00", "excluded": "#8a8f99",
          "used": "#2e8b57", "unused": "#d98a00"}
LABELS = {"restore": "restore", "mismatch": "shape mismatch", "missing": "missing (keeps init)",
          "excluded": "excluded"}


class _ScopeTree(QTreeWidget):
    """A tree of dotted names built once; rows are looked up by full name."""

    def __init__(self, columns: tuple[str, ...], names: list[str], checkable: bool, parent=None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(columns))
        self.setHeaderLabels(columns)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        for column, width in enumerate((180, 80, 130)):
            self.setColumnWidth(column, width)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.scopes: dict[str, QTreeWidgetItem] = {}
        self.checkable = checkable
        self.root = group_by_scope(names)
        self._build(self.root, self.invisibleRootItem())
        self.expandToDepth(0)

    def _build(self, scope: Scope, parent: QTreeWidgetItem) -> None:
        for name in scope.tensors:
            item = QTreeWidgetItem(parent, [leaf_label(name)])
            item.setData(0, NAME_ROLE, name)
            item.setToolTip(0, name)
            if self.checkable:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked)
            self.items[name] = item
        for child in scope.children.values():
            item = QTreeWidgetItem(parent, [child.label])
            item.setData(0, NAME_ROLE, "")
            item.setToolTip(0, f"scope {child.path}")
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            if self.checkable:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate)
                item.setCheckState(0, Qt.CheckState.Checked)
            self.scopes[child.path] = item
            self._build(child, item)

    def _paint(self, item: QTreeWidgetItem, columns: range, status: str) -> None:
        brush = QBrush(QColor(COLORS[status]))
        for column in columns:
            item.setForeground(column, brush)


class ModelPlanTree(_ScopeTree):
    """Model tensors: checking a scope checks its children. ``sigChecksEdited`` after a user click."""

    sigChecksEdited = Signal()  # the user changed check boxes; read them with unchecked()

    def __init__(self, shapes: dict[str, tuple[int, ...]], parent=None) -> None:
        super().__init__(("Model tensor", "Shape", "Plan", "From checkpoint"), list(shapes), True, parent)
        self.setColumnWidth(2, 130)
        for name, item in self.items.items():
            item.setText(1, shape_text(shapes[name]))
        self._updating = False
        self._edited = QTimer(self)  # one signal after Qt has propagated a click through the tristates
        self._edited.setSingleShot(True)
        self._edited.setInterval(0)
        self._edited.timeout.connect(self.sigChecksEdited)
        self.itemChanged.connect(self._changed)

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0 and not self._updating:
            self._edited.start()

    def unchecked(self) -> set[str]:
        return {name for name, item in self.items.items() if item.checkState(0) == Qt.CheckState.Unchecked}

    def show_plan(self, plan: RestorePlan) -> None:
        """Check state, status and source of every model tensor as ``plan`` says."""
        self._updating = True
        try:
            for entry in plan.model:
                item = self.items[entry.name]
                excluded = entry.status == "excluded"
                state = Qt.CheckState.Unchecked if excluded else Qt.CheckState.Checked
                if item.checkState(0) != state:
                    item.setCheckState(0, state)
                item.setText(2, LABELS[entry.status])
                if entry.status == "mismatch":
                    item.setText(3, f"{entry.source}  {shape_text(entry.source_shape)}")
                    item.setToolTip(2, f"model {shape_text(entry.shape)} vs checkpoint "
                                       f"{shape_text(entry.source_shape)}: not restored")
                else:
                    item.setText(3, entry.source or "")
                    item.setToolTip(2, "")
                self._paint(item, range(2, 4), entry.status)
                item.setForeground(1, QBrush(QColor(COLORS["mismatch"])) if entry.status == "mismatch"
                                   else QBrush())
        finally:
            self._updating = False


class CheckpointPlanTree(_ScopeTree):
    """Checkpoint tensors with the model tensor each maps to and whether the plan uses it."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], parent=None) -> None:
        super().__init__(("Checkpoint tensor", "Shape", "Maps to", "Use"), list(shapes), False, parent)
        for name, item in self.items.items():
            item.setText(1, shape_text(shapes[name]))

    def show_plan(self, plan: RestorePlan) -> None:
        for entry in plan.checkpoint:
            item = self.items[entry.name]
            item.setText(2, entry.target or "—")
            item.setText(3, "used" if entry.used else f"unused: {entry.reason}")
            self._paint(item, range(2, 4), "used" if entry.used else "unused")
