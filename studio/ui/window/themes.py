"""The window's theme (system, light, dark): applied to the application, the panels' plots, the canvases,
the inspector and the icons; "system" follows the desktop's colour scheme as it changes."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from studio.ui.theme import apply_theme, canvas_colors
from studio.ui.training.plot_style import restyle_all


class Themes:
    """Applies ``window.settings.theme()`` to ``window``."""

    def __init__(self, window) -> None:
        self.window = window
        QGuiApplication.styleHints().colorSchemeChanged.connect(self.follow_system)

    def set(self, name: str) -> None:
        window = self.window
        window.settings.set_theme(name)
        window.actions_.set_theme_checked(name)
        self.apply()

    def follow_system(self, scheme=None) -> None:
        if self.window.settings.theme() == "system":
            self.apply()

    def apply(self) -> None:
        window = self.window
        apply_theme(QApplication.instance(), window.settings.theme())
        restyle_all()  # the plots of the panels
        colors = canvas_colors()
        for view in window.canvases.values():
            view.canvas().set_colors(colors)
            view.resetCachedContent()
        window.inspector.rebuild()
        window.actions_.refresh_icons()
