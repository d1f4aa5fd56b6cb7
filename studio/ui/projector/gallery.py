"""``GalleryDialog``: a grid of the selected points' images with label, prediction and confidence."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from studio.engine.projector.embedding import Embedding
from studio.ui.projector.pointinfo import point_image
from studio.ui.projector.sprites import SpriteSheet

THUMB = 72
MAX_SHOWN = 2000


class GalleryDialog(QDialog):
    """Shows up to ``MAX_SHOWN`` points of a selection, misclassified first."""

    def __init__(self, embedding: Embedding, sheet: SpriteSheet | None, indices: Sequence[int],
                 title: str = "Selection", parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 560)
        order = list(indices)
        if embedding.correct is not None:
            order.sort(key=lambda i: bool(embedding.correct[i]))
        shown = order[:MAX_SHOWN]
        more = f" (first {MAX_SHOWN} shown)" if len(order) > MAX_SHOWN else ""
        note = QLabel(f"{len(order)} points{more}, misclassified first")
        self.grid = QListWidget()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(THUMB, THUMB))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setGridSize(QSize(THUMB + 56, THUMB + 44))
        self.grid.setWordWrap(True)
        labels = embedding.label_names()
        names = embedding.columns().get("prediction")
        for i in shown:
            text = labels[i] if names is None else f"{labels[i]} → {names[i]}"
            if embedding.confidence is not None:
                text += f"\n{float(embedding.confidence[i]):.0%}"
            item = QListWidgetItem(QIcon(point_image(embedding, sheet, int(i), THUMB)), text)
            if embedding.paths:
                item.setToolTip(embedding.paths[i])
            self.grid.addItem(item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.grid, 1)
        layout.addWidget(buttons)
