"""Sample thumbnails per class, one row per class: as many thumbnails as the width holds (at least
two), so the report never needs more width than the window has."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from studio.engine.filenames import shown_name

LEAST = 2  # thumbnails per row, however narrow


class ThumbRows(QWidget):
    """``show_rows([(class name, images of the class, pixmaps)])``; extra thumbnails hide when narrow."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.grid.setSpacing(3)
        self.rows: list[tuple[QLabel, list[QLabel]]] = []
        self.shown = 0  # thumbnails per row in view

    def show_rows(self, rows: list[tuple[str, int, list[QPixmap]]]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.rows = []
        for row, (name, count, pixmaps) in enumerate(rows):
            title = QLabel(f"<b>{html.escape(shown_name(name))}</b><br>{count:,} images")
            self.grid.addWidget(title, row, 0)
            labels = []
            for col, pixmap in enumerate(pixmaps, start=1):
                label = QLabel()
                label.setPixmap(pixmap)
                label.setToolTip(shown_name(name))
                self.grid.addWidget(label, row, col)
                labels.append(label)
            self.rows.append((title, labels))
        self.shown = -1
        self._fit(self.width())

    def _widths(self) -> tuple[int, int]:
        """(width of the titles with the margins, width of one thumbnail with its spacing)."""
        margins = self.grid.contentsMargins()
        titles = max((title.sizeHint().width() for title, _ in self.rows), default=0)
        thumb = max((label.sizeHint().width() for _, labels in self.rows for label in labels), default=0)
        return margins.left() + margins.right() + titles, thumb + self.grid.horizontalSpacing()

    def fitting(self, width: int) -> int:
        """How many thumbnails per row ``width`` holds."""
        fixed, thumb = self._widths()
        return max(LEAST, (width - fixed) // max(thumb, 1))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        hint = super().minimumSizeHint()
        if self.rows:
            fixed, thumb = self._widths()
            hint.setWidth(fixed + LEAST * thumb)
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._fit(event.size().width())

    def _fit(self, width: int) -> None:
        count = self.fitting(width)
        if count == self.shown:
            return
        self.shown = count
        for _title, labels in self.rows:
            for index, label in enumerate(labels):
                label.setVisible(index < count)
