"""The tensors of one checkpoint as a tree of scopes: shape, dtype, size, statistics, and (when two
checkpoints are compared) the relative change of each tensor, coloured."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem

from studio.engine.checkpoints.diff import TensorDiff
from studio.engine.checkpoints.reader import TensorEntry
from studio.engine.checkpoints.stats import TensorStats
from studio.engine.formatting import count_text, shape_text, size_text
from studio.ui.checkpoints.filtering import name_filter
from studio.ui.checkpoints.scopes import Scope, group_by_scope, leaf_label
from studio.ui.scrolling import FitColumns

COLUMNS = ("Name", "Shape", "Type", "Size", "Min", "Max", "Mean", "Std", "Zeros", "NaN/Inf", "Change")
NAME, SHAPE, DTYPE, SIZE, MIN, MAX, MEAN, STD, ZEROS, BAD, CHANGE = range(len(COLUMNS))
NUMBER = (84, 76)  # "-0.009095", "1.234e-05": never elided (at 1280 px the names give up more)
COLUMN_WIDTHS = {NAME: (190, 96), SHAPE: (100, 70), DTYPE: (66, 56), SIZE: (72, 60), MIN: NUMBER, MAX: NUMBER,
                 MEAN: NUMBER, STD: NUMBER, ZEROS: (56, 44), BAD: (58, 50),
                 CHANGE: (120, 80)}  # natural and least width
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_ROLE = Qt.ItemDataRole.UserRole


class _Item(QTreeWidgetItem):
    """A row that sorts by the number behind a cell, not its text."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        mine, theirs = self.data(column, SORT_ROLE), other.data(column, SORT_ROLE)
        if mine is None or theirs is None:
            return (mine is None, self.text(column)) < (theirs is None, other.text(column))
        return mine < theirs


def change_color(diff: TensorDiff) -> QColor | None:
    """Background of a changed tensor: pale yellow (0.1% or less) to strong red (changed by 100%+)."""
    if diff.status == "shape":
        return QColor("#e0443e")
    if diff.status != "changed" or diff.relative_change is None:
        return None
    level = min(1.0, max(0.0, (math.log10(max(diff.relative_change, 1e-6)) + 3) / 3))  # 0.1%..100%
    hue = 55 - 55 * level  # yellow -> red
    return QColor.fromHsvF(hue / 360, 0.25 + 0.6 * level, 1.0)


def change_text(diff: TensorDiff) -> str:
    if diff.status == "shape":
        return f"shape {shape_text(diff.shape_a)} → {shape_text(diff.shape_b)}"
    if diff.status in ("only_a", "only_b"):
        return "only in A" if diff.status == "only_a" else "only in B"
    if diff.status == "same":
        return "same"
    value = diff.relative_change
    return "∞" if value is not None and math.isinf(value) else f"{100 * (value or 0):.3g}%"


class TensorTree(QTreeWidget):
    """Checkpoint tensors grouped by scope. ``sigTensorSelected(name)``: "" when a scope is chosen."""

    sigTensorSelected = Signal(str)  # full tensor name, or "" for a scope / nothing

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(COLUMNS)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # checkpoint order until a header is clicked
        header = self.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)  # (before the move: else the hidden column kept its room)
        header.moveSection(header.visualIndex(CHANGE), 1)  # shown next to the name when comparing
        self.setColumnHidden(CHANGE, True)
        self.columns_fit = FitColumns(self, {column: COLUMN_WIDTHS[column]
                                             for column in range(len(COLUMNS))})  # never sideways
        self.items: dict[str, QTreeWidgetItem] = {}  # tensor name -> row
        self._scopes: dict[str, QTreeWidgetItem] = {}
        self._entries: dict[str, TensorEntry] = {}
        self.currentItemChanged.connect(self._current_changed)

    # ---- content ------------------------------------------------------------------------------
    def set_entries(self, entries: list[TensorEntry]) -> None:
        """Show these tensors (names, shapes, types and sizes; statistics arrive later)."""
        self.clear()
        self.items, self._scopes = {}, {}
        self._entries = {entry.name: entry for entry in entries}
        self.setSortingEnabled(False)
        root = group_by_scope(self._entries)
        self._add_scope(root, self.invisibleRootItem(), [0])
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        top = self.topLevelItemCount()
        for index in range(top):
            self.topLevelItem(index).setExpanded(top <= 12)
        self.setColumnHidden(CHANGE, True)
        self.columns_fit.fit()

    def _add_scope(self, scope: Scope, parent: QTreeWidgetItem, counter: list[int]) -> tuple[int, int]:
        total_bytes = total_values = 0
        for name in scope.tensors:
            entry = self._entries[name]
            item = _Item(parent)
            item.setText(NAME, leaf_label(name))
            item.setData(NAME, NAME_ROLE, name)
            item.setData(NAME, SORT_ROLE, counter[0])
            item.setToolTip(NAME, name)
            item.setText(SHAPE, shape_text(entry.shape))
            item.setData(SHAPE, SORT_ROLE, entry.numel)
            item.setText(DTYPE, entry.dtype)
            item.setText(SIZE, size_text(entry.nbytes))
            item.setData(SIZE, SORT_ROLE, entry.nbytes)
            for column in (SHAPE, SIZE, MIN, MAX, MEAN, STD, ZEROS, BAD, CHANGE):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.items[name] = item
            counter[0] += 1
            total_bytes += entry.nbytes
            total_values += entry.numel
        for child in scope.children.values():
            item = _Item(parent)
            item.setText(NAME, child.label)
            item.setData(NAME, NAME_ROLE, "")
            item.setData(NAME, SORT_ROLE, counter[0])
            item.setToolTip(NAME, f"scope {child.path}")
            font = item.font(NAME)
            font.setBold(True)
            item.setFont(NAME, font)
            counter[0] += 1
            nbytes, values = self._add_scope(child, item, counter)
            item.setText(SHAPE, f"{count_text(values)} values")
            item.setData(SHAPE, SORT_ROLE, values)
            item.setText(SIZE, size_text(nbytes))
            item.setData(SIZE, SORT_ROLE, nbytes)
            for column in (SHAPE, SIZE, CHANGE):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._scopes[child.path] = item
            total_bytes += nbytes
            total_values += values
        return total_bytes, total_values

    def set_stats(self, stats: list[TensorStats]) -> None:
        """Fill the statistics columns of these tensors."""
        for one in stats:
            item = self.items.get(one.name)
            if item is None:
                continue
            for column, value in ((MIN, one.min), (MAX, one.max), (MEAN, one.mean), (STD, one.std)):
                item.setText(column, "–" if value is None else f"{value:.4g}")
                item.setData(column, SORT_ROLE, value)
            item.setText(ZEROS, f"{100 * one.zero_fraction:.3g}%")
            item.setData(ZEROS, SORT_ROLE, one.zero_fraction)
            bad = one.nan_count + one.inf_count
            item.setText(BAD, f"{one.nan_count}/{one.inf_count}" if bad else "0")
            item.setData(BAD, SORT_ROLE, bad)
            if bad:
                item.setForeground(BAD, QBrush(QColor("#d9342b")))

    def set_diff(self, diffs: list[TensorDiff] | None) -> None:
        """Show each tensor's change against another checkpoint (None hides the column)."""
        self.setColumnHidden(CHANGE, diffs is None)
        self.columns_fit.fit()
        for item in [*self.items.values(), *self._scopes.values()]:
            item.setText(CHANGE, "")
            item.setData(CHANGE, SORT_ROLE, None)
            item.setBackground(CHANGE, QBrush())
        if diffs is None:
            return
        worst: dict[str, float] = {}
        for diff in diffs:
            item = self.items.get(diff.name)
            if item is None:
                continue
            item.setText(CHANGE, change_text(diff))
            item.setToolTip(CHANGE, _diff_tooltip(diff))
            rank = _rank(diff)
            item.setData(CHANGE, SORT_ROLE, rank)
            color = change_color(diff)
            if color is not None:
                item.setBackground(CHANGE, QBrush(color))
                item.setForeground(CHANGE, QBrush(QColor("#1d1f23")))
            parts = diff.name.split(".")
            for depth in range(1, len(parts)):
                scope = ".".join(parts[:depth])
                worst[scope] = max(worst.get(scope, -1.0), rank)
        for scope, rank in worst.items():
            item = self._scopes.get(scope)
            if item is not None and rank >= 0:
                item.setData(CHANGE, SORT_ROLE, rank)
                item.setText(CHANGE, "max " + (f"{100 * rank:.3g}%" if rank < 1e9 else "shape"))

    def set_filter(self, text: str) -> int:
        """Hide tensors whose names do not match ``text``; returns how many remain."""
        matches = name_filter(text)
        shown = 0
        for name, item in self.items.items():
            visible = matches(name)
            item.setHidden(not visible)
            shown += visible
        for _, item in sorted(self._scopes.items(), key=lambda kv: -kv[0].count(".")):
            visible = any(not item.child(i).isHidden() for i in range(item.childCount()))
            item.setHidden(not visible)
            if text and visible:
                item.setExpanded(True)
        return shown

    # ---- selection ----------------------------------------------------------------------------
    def select_tensor(self, name: str) -> None:
        item = self.items.get(name)
        if item is not None:
            self.setCurrentItem(item)
            self.scrollToItem(item)

    def current_tensor(self) -> str:
        item = self.currentItem()
        return item.data(NAME, NAME_ROLE) if item is not None else ""

    def _current_changed(self, current: QTreeWidgetItem | None, previous) -> None:
        self.sigTensorSelected.emit(current.data(NAME, NAME_ROLE) if current is not None else "")


def _rank(diff: TensorDiff) -> float:
    if diff.status == "shape":
        return 1e12
    if diff.status in ("only_a", "only_b"):
        return -1.0
    return diff.relative_change if diff.relative_change is not None else 0.0


def _diff_tooltip(diff: TensorDiff) -> str:
    if diff.status == "changed":
        return (f"relative change ‖B−A‖/‖A‖ = {diff.relative_change:.4g}\n"
                f"largest absolute change {diff.max_abs_diff:.4g}")
    return change_text(diff)

