"""``Legend``: the colours of the current colouring with names and point counts; click to highlight."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.ui.projector.colors import Coloring


def swatch_icon(color: str, side: int = 12) -> QIcon:
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class Legend(QWidget):
    """Lists each colour of a :class:`Coloring`; clicking an entry emits its index."""

    sigPicked = Signal(int)  # legend entry clicked (palette index), -1 when cleared

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Colour")
        self.title.setStyleSheet("font-weight: 600")
        self.list = QListWidget()
        self.list.setIconSize(QSize(12, 12))
        self.list.setUniformItemSizes(True)
        self.list.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.list)

    def show_coloring(self, coloring: Coloring) -> None:
        self.title.setText(f"Colour by {coloring.title}" if coloring.title else "Colour")
        self.list.clear()
        for i, (name, color, count) in enumerate(zip(coloring.names, coloring.palette, coloring.counts,
                                                     strict=True)):
            item = QListWidgetItem(swatch_icon(color), f"{name}  ({count})")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.list.addItem(item)

    def entries(self) -> list[str]:
        """The texts shown, in order (for tests and screenshots)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _clicked(self, item: QListWidgetItem) -> None:
        self.sigPicked.emit(int(item.data(Qt.ItemDataRole.UserRole)))
