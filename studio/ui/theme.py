"""Light and dark themes (following the system unless the user chose one) and canvas colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from studio.engine.layers.registry import CATEGORY_COLORS

THEMES = ("system", "light", "dark")
OTHER_CATEGORY = "#6b6b6b"  # palette groups that are no layer category (Templates)


@dataclass(frozen=True)
class CanvasColors:
    """Colours the canvas paints with, derived from the application palette."""

    background: QColor
    grid: QColor
    node: QColor
    border: QColor
    text: QColor
    subtext: QColor
    selection: QColor
    edge: QColor
    label: QColor
    error: QColor
    warning: QColor
    ok: QColor
    dark: bool


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (default: the application's) is a dark one."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def wants_dark(choice: str) -> bool:
    """Whether theme ``choice`` (system, light, dark) means dark right now."""
    if choice == "dark":
        return True
    if choice == "light":
        return False
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, choice: str = "system") -> None:
    """Use the Fusion style with a light or dark palette for ``choice``."""
    from studio.ui.indicator_style import NAME, IndicatorStyle

    if app.style().objectName() != NAME:
        app.setStyle(IndicatorStyle())
    app.setPalette(dark_palette() if wants_dark(choice) else app.style().standardPalette())


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2d31", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f2023", QPalette.ColorRole.AlternateBase: "#2a2b2f",
        QPalette.ColorRole.ToolTipBase: "#3a3c42", QPalette.ColorRole.ToolTipText: "#f0f0f0",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#34363b",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Link: "#6ea8fe", QPalette.ColorRole.Highlight: "#3d6fb6",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#8a8d93",
        QPalette.ColorRole.Mid: "#45474d", QPalette.ColorRole.Dark: "#18191b",
        QPalette.ColorRole.Light: "#4a4c52", QPalette.ColorRole.Midlight: "#3c3e44",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7d8087"))
    return palette


def canvas_colors(palette: QPalette | None = None) -> CanvasColors:
    """The canvas palette matching the application's light or dark look."""
    palette = palette or QGuiApplication.palette()
    dark = is_dark(palette)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    if dark:
        return CanvasColors(QColor("#1e1f22"), QColor("#2c2e33"), QColor("#2f3136"), QColor("#4a4d55"),
                            QColor("#ececec"), QColor("#a4a8b0"), highlight.lighter(130), QColor("#8a8f99"),
                            QColor("#b9bec7"), QColor("#ff5c5c"), QColor("#f0ad4e"), QColor("#5cb85c"),
                            True)
    return CanvasColors(QColor("#f4f5f7"), QColor("#dfe2e7"), QColor("#ffffff"), QColor("#b9bec7"),
                        QColor("#1d1f23"), QColor("#5d636e"), highlight, QColor("#7b8290"),
                        QColor("#4a505a"), QColor("#d9342b"), QColor("#d98a00"), QColor("#2e8b57"), False)


def category_color(category: str) -> QColor:
    """The header colour of a palette category (the layer registry's, grey for the others)."""
    return QColor(CATEGORY_COLORS.get(category, OTHER_CATEGORY))
