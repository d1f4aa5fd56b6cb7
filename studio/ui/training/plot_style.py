"""Plots in the application's colours (pyqtgraph draws white on black by default)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QGuiApplication, QPalette


def plot_colors() -> tuple[QColor, QColor]:
    """(background, foreground) of the current palette's text fields."""
    palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)


def style_plot(plot: pg.PlotItem, title: str | None = None) -> None:
    """Axes and title of ``plot`` in the palette's text colour."""
    _, foreground = plot_colors()
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(foreground, width=1))
        axis.setTextPen(pg.mkPen(foreground))
    if title is not None:
        plot.setTitle(title, color=foreground.name(), size="10pt")


def style_widget(widget: pg.GraphicsView) -> None:
    """The background of a PlotWidget or GraphicsLayoutWidget (and its plot, when it has one)."""
    background, _ = plot_colors()
    widget.setBackground(background)
    if isinstance(widget, pg.PlotWidget):
        style_plot(widget.getPlotItem())
