"""The parts of the results page: confusion matrix, per-class table and image gallery."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from studio.engine.filenames import shown_name
from studio.engine.training.predictions import Predictions
from studio.ui.training.image_preview import ImagePreview
from studio.ui.training.images import file_pixmap

GALLERY_LIMIT = 200
THUMB = 72


def find_detail(details: dict[str, Any], suffix: str) -> Any:
    """The first detail whose name ends with ``suffix`` (``val/confusion``, ``val/aux/confusion``)."""
    for name, value in details.items():
        if name.endswith(suffix):
            return value
    return None


class ConfusionView(QTableWidget):
    """Rows: true class, columns: predicted class; shade by the share of the row."""

    sigCellChosen = Signal(int, int)  # true class, predicted class

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.cellClicked.connect(lambda row, col: self.sigCellChosen.emit(row, col))
        self.matrix = np.zeros((0, 0), np.int64)
        columns = self.horizontalHeader()  # every column in view: names elided in the middle, whole in
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # their tooltips
        columns.setMinimumSectionSize(28)
        columns.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().setMaximumWidth(140)

    def set_matrix(self, matrix: np.ndarray, class_names: tuple[str, ...] | list[str]) -> None:
        self.matrix = np.asarray(matrix, np.int64)
        class_names = [shown_name(name) for name in class_names]
        n = len(class_names)
        self.clear()
        self.setRowCount(n)
        self.setColumnCount(n)
        for index, name in enumerate(class_names):
            for header, setter, role in (("predicted", self.setHorizontalHeaderItem, "column"),
                                         ("true", self.setVerticalHeaderItem, "row")):
                item = QTableWidgetItem(name)
                item.setToolTip(f"{header} {name} (this {role})")
                setter(index, item)
        totals = self.matrix.sum(1)
        for i in range(n):
            for j in range(n):
                count = int(self.matrix[i, j])
                share = count / totals[i] if totals[i] else 0.0
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                base = (31, 119, 180) if i == j else (214, 39, 40)
                alpha = int(255 * min(1.0, share)) if count else 0
                item.setBackground(QColor(*base, alpha))
                if share > 0.5:
                    item.setForeground(QColor("white"))
                item.setToolTip(f"true {class_names[i]}, predicted {class_names[j]}: {count} ({share:.0%})")
                self.setItem(i, j, item)
        self.resizeRowsToContents()
        for row in range(n):
            self.setRowHeight(row, max(self.rowHeight(row), 28))


class PerClassTable(QTableWidget):
    """precision, recall, F1 and support per class."""

    COLUMNS = ("class", "precision", "recall", "F1", "images")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(self.COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the class name takes what is left
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSortingEnabled(True)

    def set_values(self, class_names, precision, recall, f1, support) -> None:
        self.setSortingEnabled(False)
        self.setRowCount(len(class_names))
        for row, name in enumerate(shown_name(name) for name in class_names):
            values = [precision[row], recall[row], f1[row], support[row] if support is not None else None]
            name_item = QTableWidgetItem(name)
            name_item.setToolTip(name)
            self.setItem(row, 0, name_item)
            for col, value in enumerate(values, start=1):
                item = QTableWidgetItem()
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    item.setText("–")
                elif col < 4:
                    item.setText(f"{float(value):.3f}")  # fixed format in [0, 1]: text order is numeric
                else:
                    item.setData(Qt.ItemDataRole.DisplayRole, int(value))
                self.setItem(row, col, item)
        self.setSortingEnabled(True)
        self.sortItems(0, Qt.SortOrder.AscendingOrder)


class Gallery(QListWidget):
    """Thumbnails with ``predicted (confidence) / true`` captions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 44, THUMB + 40))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setWordWrap(True)
        self.setToolTip("Double-click an image (or press Enter) to see it larger")
        self.preview: ImagePreview | None = None
        self._paths: list[str] = []  # the real file names (Qt would mangle names that are not UTF-8)
        self.itemActivated.connect(self._show_larger)

    def path_of(self, item: QListWidgetItem) -> str:
        """The real file name of the image ``item`` shows."""
        return self._paths[item.data(Qt.ItemDataRole.UserRole)]

    def _show_larger(self, item: QListWidgetItem) -> None:
        if self.preview is not None:
            self.preview.close()
        self.preview = ImagePreview(self.path_of(item), item.toolTip(), self)
        self.preview.show()

    def show_images(self, predictions: Predictions, indices: np.ndarray) -> None:
        self.clear()
        self._paths = []
        names = [shown_name(name) for name in predictions.class_names]
        for i in indices[:GALLERY_LIMIT]:
            path = predictions.paths[i]
            truth, guess = names[predictions.labels[i]], names[predictions.predicted[i]]
            text = f"{guess} {predictions.confidence[i]:.0%}\ntrue: {truth}"
            item = QListWidgetItem(QIcon(file_pixmap(path, THUMB)), text)
            item.setToolTip(f"{shown_name(path)}\npredicted {guess} with {predictions.confidence[i]:.1%}, "
                            f"true {truth}")
            item.setData(Qt.ItemDataRole.UserRole, len(self._paths))
            self._paths.append(path)
            self.addItem(item)


