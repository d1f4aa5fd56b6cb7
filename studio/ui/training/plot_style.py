"""Plots in the application's colours (pyqtgraph draws white on black by default); the main window
calls :func:`restyle_all` after a theme change (View > Theme, or the system's)."""

from __future__ import annotations

import weakref

import pyqtgraph as pg
from PySide6.QtGui import QColor, QGuiApplication, QPalette

_STYLED: weakref.WeakSet = weakref.WeakSet()  # every plot widget styled, to restyle on a theme change


def plot_colors() -> tuple[QColor, QColor]:
    """(background, foreground) of the current palette's text fields."""
    palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)


def style_plot(plot: pg.PlotItem, title: str | None = None) -> None:
    """Axes, title and legend of ``plot`` in the palette's text colour."""
    _, foreground = plot_colors()
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(foreground, width=1))
        axis.setTextPen(pg.mkPen(foreground))
    if title is not None:
        plot.setTitle(title, color=foreground.name(), size="10pt")
    if plot.legend is not None:
        plot.legend.setLabelTextColor(foreground)


def style_widget(widget: pg.GraphicsView) -> None:
    """The background of a PlotWidget or GraphicsLayoutWidget (and its plot, when it has one); it
    follows later theme changes (:func:`restyle_all`)."""
    background, _ = plot_colors()
    widget.setBackground(background)
    if isinstance(widget, pg.PlotWidget):
        style_plot(widget.getPlotItem())
    _STYLED.add(widget)


def restyle(widget: pg.GraphicsView) -> None:
    """Colour ``widget`` and every plot in it again from the current palette."""
    widget.setBackground(plot_colors()[0])
    plots = [widget.getPlotItem()] if isinstance(widget, pg.PlotWidget) else [
        item for item in widget.ci.items if isinstance(item, pg.PlotItem)]
    for plot in plots:
        style_plot(plot, plot.titleLabel.text or None)  # (LabelItem keeps the plain text)


def restyle_all() -> None:
    """Restyle every plot widget still alive (after the application's palette changed)."""
    for widget in list(_STYLED):
        try:
            restyle(widget)
        except RuntimeError:  # its Qt object is gone
            _STYLED.discard(widget)
