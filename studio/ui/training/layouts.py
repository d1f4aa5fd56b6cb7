"""Two small layout helpers: widgets in a margin-less column or row."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget


def column(*widgets: QWidget, stretch_last: bool = True) -> QWidget:
    """``widgets`` stacked; the last one takes the spare height (else the spare height stays below)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    if stretch_last:
        layout.setStretch(len(widgets) - 1, 1)
    else:
        layout.addStretch(1)
    return box


def row(*widgets: QWidget) -> QWidget:
    """``widgets`` side by side; the first one takes the spare width."""
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    layout.setStretch(0, 1)
    return box
