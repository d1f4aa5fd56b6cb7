"""Results of a run: the confusion matrix (a cell opens the images behind it), per-class precision,
recall and F1, and a gallery of misclassified images with predicted and true label and confidence.

It shows either the metrics of the latest evaluation (``show_metrics``: counts only) or the engine's
per-image :class:`Predictions` (``show_predictions``: every cell clickable).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine.training.predictions import Predictions
from studio.ui.training import layouts
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

    def set_matrix(self, matrix: np.ndarray, class_names: tuple[str, ...] | list[str]) -> None:
        self.matrix = np.asarray(matrix, np.int64)
        n = len(class_names)
        self.clear()
        self.setRowCount(n)
        self.setColumnCount(n)
        short = [name[:10] for name in class_names]
        self.setHorizontalHeaderLabels(short)
        self.setVerticalHeaderLabels([f"{name}" for name in class_names])
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
        self.resizeColumnsToContents()
        self.resizeRowsToContents()
        for col in range(n):
            self.setColumnWidth(col, max(self.columnWidth(col), 40))
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
        self.horizontalHeader().setStretchLastSection(True)
        self.setSortingEnabled(True)

    def set_values(self, class_names, precision, recall, f1, support) -> None:
        self.setSortingEnabled(False)
        self.setRowCount(len(class_names))
        for row, name in enumerate(class_names):
            values = [precision[row], recall[row], f1[row], support[row] if support is not None else None]
            self.setItem(row, 0, QTableWidgetItem(name))
            for col, value in enumerate(values, start=1):
                item = QTableWidgetItem()
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    item.setText("–")
                elif col < 4:
                    item.setText(f"{float(value):.3f}")  # fixed format in [0, 1]: text order is numeric
                else:
                    item.setData(Qt.ItemDataRole.DisplayRole, int(value))
                self.setItem(row, col, item)
        self.resizeColumnsToContents()
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

    def show_images(self, predictions: Predictions, indices: np.ndarray) -> None:
        self.clear()
        names = predictions.class_names
        for i in indices[:GALLERY_LIMIT]:
            path = predictions.paths[i]
            truth, guess = names[predictions.labels[i]], names[predictions.predicted[i]]
            text = f"{guess} {predictions.confidence[i]:.0%}\ntrue: {truth}"
            item = QListWidgetItem(QIcon(file_pixmap(path, THUMB)), text)
            item.setToolTip(f"{path}\npredicted {guess} with {predictions.confidence[i]:.1%}, true {truth}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.addItem(item)


class ResultsView(QWidget):
    """Confusion matrix + per-class table + gallery, with the buttons that ask for more."""

    sigPredict = Signal()  # the user wants per-image predictions of the run (clickable cells, gallery)
    sigEvaluate = Signal()  # the user wants to evaluate a checkpoint on another folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictions: Predictions | None = None
        self.title = QLabel("No results yet: they appear after the first validation.")
        self.title.setWordWrap(True)
        self.predict_button = QPushButton("Show images per cell")
        self.predict_button.setToolTip("Run the best checkpoint on the validation images to see which image "
                                       "landed in which cell")
        self.predict_button.clicked.connect(self.sigPredict)
        self.evaluate_button = QPushButton("Evaluate checkpoint…")
        self.evaluate_button.clicked.connect(self.sigEvaluate)
        self.confusion = ConfusionView()
        self.confusion.sigCellChosen.connect(self.show_cell)
        self.per_class = PerClassTable()
        self.gallery_title = QLabel("Misclassified images")
        self.all_wrong = QPushButton("All misclassified")
        self.all_wrong.clicked.connect(self.show_misclassified)
        self.gallery = Gallery()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.predict_button)
        top.addWidget(self.evaluate_button)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(layouts.column(QLabel("Confusion matrix (rows: true class, columns: predicted)"),
                                      self.confusion))
        left.addWidget(self.per_class)
        right = layouts.column(layouts.row(self.gallery_title, self.all_wrong), self.gallery)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([560, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._set_clickable(False)

    def show_metrics(self, class_names: list[str] | tuple[str, ...], metrics: dict[str, float],
                     details: dict[str, Any], title: str) -> None:
        """The counts of an evaluation (no images behind the cells until predictions are computed)."""
        matrix = find_detail(details, "confusion")
        if matrix is None or not class_names:
            return
        self.predictions = None
        matrix = np.asarray(matrix, np.int64)
        self.confusion.set_matrix(matrix, class_names)
        n = len(class_names)
        nan = [float("nan")] * n
        self.per_class.set_values(class_names, find_detail(details, "precision_per_class") or nan,
                                  find_detail(details, "recall_per_class") or nan,
                                  find_detail(details, "f1_per_class") or nan, matrix.sum(1))
        self.title.setText(html.escape(title) + _accuracy_text(metrics))
        self.gallery.clear()
        self.gallery_title.setText("Press 'Show images per cell' to see the images behind the counts")
        self._set_clickable(False)

    def show_predictions(self, predictions: Predictions) -> None:
        """Per-image results: every cell and the gallery show their images."""
        self.predictions = predictions
        values = predictions.per_class()
        self.confusion.set_matrix(predictions.confusion(), predictions.class_names)
        self.per_class.set_values(predictions.class_names, values["precision"], values["recall"],
                                  values["f1"], values["support"])
        self.title.setText(f"{html.escape(Path(predictions.checkpoint).stem)} (step {predictions.step:,}) on "
                           f"{html.escape(predictions.source)}: {len(predictions):,} images, accuracy "
                           f"<b>{predictions.accuracy:.1%}</b>")
        self._set_clickable(True)
        self.show_misclassified()

    def show_cell(self, true: int, predicted: int) -> None:
        if self.predictions is None:
            return
        names = self.predictions.class_names
        rows = self.predictions.cell(true, predicted)
        self.gallery_title.setText(f"true {names[true]}, predicted {names[predicted]}: {len(rows)} image(s)"
                                   + (f", first {GALLERY_LIMIT}" if len(rows) > GALLERY_LIMIT else ""))
        self.gallery.show_images(self.predictions, rows)

    def show_misclassified(self) -> None:
        if self.predictions is None:
            return
        rows = self.predictions.misclassified()
        self.gallery_title.setText(f"Misclassified: {len(rows)} of {len(self.predictions)} images, most "
                                   "confident first")
        self.gallery.show_images(self.predictions, rows)

    def _set_clickable(self, clickable: bool) -> None:
        self.all_wrong.setEnabled(clickable)
        cursor = Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        self.confusion.setCursor(cursor)


def _accuracy_text(metrics: dict[str, float]) -> str:
    accuracy = next((v for k, v in metrics.items() if k.endswith("accuracy") and "top" not in k), None)
    return f": accuracy <b>{accuracy:.1%}</b>" if accuracy is not None else ""
