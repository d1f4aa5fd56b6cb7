"""Small pixmaps of one cell per colour, drawn as fragments: round dots and solid frame swatches."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap


def _pixmap(width: int, height: int) -> QPixmap:
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    return pixmap


@lru_cache(maxsize=16)
def dot_atlas(colors: tuple[str, ...], diameter: int) -> QPixmap:
    """One row of antialiased discs with a darker rim, one per colour (``#rrggbb`` names)."""
    cell = diameter + 2
    pixmap = _pixmap(cell * len(colors), cell)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for i, name in enumerate(colors):
        color = QColor(name)
        painter.setPen(QPen(color.darker(160), 1.0))
        painter.setBrush(color)
        painter.drawEllipse(QRectF(i * cell + 1.5, 1.5, diameter - 1, diameter - 1))
    painter.end()
    return pixmap


@lru_cache(maxsize=16)
def swatch_atlas(colors: tuple[str, ...], side: int) -> QPixmap:
    """One row of ``side`` px solid squares, one per colour (drawn unscaled: scaling costs 3x)."""
    pixmap = _pixmap(side * len(colors), side)
    painter = QPainter(pixmap)
    for i, name in enumerate(colors):
        painter.fillRect(i * side, 0, side, side, QColor(name))
    painter.end()
    return pixmap


def color_names(colors: Sequence[QColor | str]) -> tuple[str, ...]:
    """Hashable ``#rrggbb`` names (cache keys for the atlases above)."""
    return tuple(QColor(c).name() for c in colors)
