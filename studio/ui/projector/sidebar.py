"""``Sidebar``: the projector's right column — legend, search, the selection and its actions, and the
nearest neighbours of the clicked point."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.engine.projector.neighbours import METRICS
from studio.engine.projector.search import ALL_COLUMNS
from studio.ui.projector.legend import Legend
from studio.ui.projector.neighbors import NeighbourList


class Sidebar(QSplitter):
    """Widgets only: the panel connects them to the points."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.legend = Legend()
        self.addWidget(self.legend)
        self.addWidget(self._search_box())
        self.addWidget(self._selection_box())
        self.addWidget(self._neighbour_box())
        self.setStretchFactor(0, 2)
        self.setStretchFactor(3, 3)

    def _search_box(self) -> QGroupBox:
        box = QGroupBox("Search")
        self.query = QLineEdit()
        self.query.setPlaceholderText("file name, label, prediction…")
        self.query.setClearButtonEnabled(True)
        self.column = QComboBox()
        self.column.addItem(ALL_COLUMNS)
        self.regex = QCheckBox("Regex")
        self.matches = QLabel("")
        self.select_matches = QPushButton("Select")
        self.select_matches.setToolTip("Make the highlighted points the selection")
        layout = QGridLayout(box)
        layout.addWidget(self.query, 0, 0, 1, 3)
        layout.addWidget(self.column, 1, 0)
        layout.addWidget(self.regex, 1, 1)
        layout.addWidget(self.select_matches, 1, 2)
        layout.addWidget(self.matches, 2, 0, 1, 3)
        return box

    def _selection_box(self) -> QGroupBox:
        box = QGroupBox("Selection")
        self.selected = QLabel("Nothing selected: click a point, or drag with the rectangle or lasso tool")
        self.selected.setWordWrap(True)
        self.open_selection = QPushButton("Show images")
        self.export_list = QPushButton("Export list…")
        self.copy_folder = QPushButton("Copy to folder…")
        self.clear_selection = QPushButton("Clear")
        for button in (self.open_selection, self.export_list, self.copy_folder, self.clear_selection):
            button.setEnabled(False)
        layout = QVBoxLayout(box)
        layout.addWidget(self.selected)
        row = QHBoxLayout()
        row.addWidget(self.open_selection)
        row.addWidget(self.export_list)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.copy_folder)
        row.addWidget(self.clear_selection)
        layout.addLayout(row)
        return box

    def _neighbour_box(self) -> QGroupBox:
        box = QGroupBox("Nearest neighbours (feature space)")
        self.k = QSpinBox()
        self.k.setRange(1, 200)
        self.k.setValue(10)
        self.k.setPrefix("k = ")
        self.metric_box = QComboBox()
        self.metric_box.addItems(list(METRICS))
        self.neighbours = NeighbourList()
        row = QHBoxLayout()
        row.addWidget(self.k)
        row.addWidget(self.metric_box, 1)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.neighbours, 1)
        return box

    def set_selection_count(self, count: int, has_files: bool) -> None:
        self.selected.setText(f"{count} point{'s' if count != 1 else ''} selected" if count else
                              "Nothing selected: click a point, or drag with the rectangle or lasso tool")
        self.open_selection.setEnabled(count > 0)
        self.clear_selection.setEnabled(count > 0)
        self.export_list.setEnabled(count > 0 and has_files)
        self.copy_folder.setEnabled(count > 0 and has_files)
