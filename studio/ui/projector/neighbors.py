"""``NeighbourList``: the clicked point and its k nearest neighbours (feature space) with thumbnails."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.engine.projector.embedding import Embedding
from studio.ui.projector.pointinfo import point_image, point_lines
from studio.ui.projector.sprites import SpriteSheet

THUMB = 40


class NeighbourList(QWidget):
    """Header with the selected point, then one row per neighbour: thumbnail, distance, label, file."""

    sigActivated = Signal(int)  # a neighbour row was clicked: its point index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel("Click a point to see its nearest neighbours")
        self.header.setWordWrap(True)
        self.image = QLabel()
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image)
        layout.addWidget(self.header)
        layout.addWidget(self.list, 1)
        self.indices = np.zeros(0, dtype=np.int64)
        self.distances = np.zeros(0)

    def show_neighbours(self, embedding: Embedding, sheet: SpriteSheet | None, index: int,
                        indices: np.ndarray, distances: np.ndarray, metric: str) -> None:
        """Show point ``index`` and its neighbours ``indices`` (nearest first) at ``distances``."""
        self.indices, self.distances = np.asarray(indices), np.asarray(distances)
        self.image.setPixmap(point_image(embedding, sheet, index, 96))
        self.header.setText("\n".join(point_lines(embedding, index))
                            + f"\n{len(indices)} nearest neighbours ({metric} distance):")
        self.list.clear()
        labels = embedding.label_names()
        for neighbour, distance in zip(self.indices, self.distances, strict=True):
            text = f"{distance:.4f}  {labels[neighbour]}"
            if embedding.paths:
                text += f"  {Path(embedding.paths[neighbour]).name}"
            item = QListWidgetItem(QIcon(point_image(embedding, sheet, int(neighbour), THUMB)), text)
            item.setData(Qt.ItemDataRole.UserRole, int(neighbour))
            self.list.addItem(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        self.sigActivated.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def clear(self) -> None:
        self.indices, self.distances = np.zeros(0, dtype=np.int64), np.zeros(0)
        self.image.clear()
        self.header.setText("Click a point to see its nearest neighbours")
        self.list.clear()
