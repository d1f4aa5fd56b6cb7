"""The panels beside the canvas (training, checkpoints, projector) and how they plug in.

A panel is a QWidget shown as a tab of the main window next to the model canvas. Each entry of
:data:`PANELS` names the module that provides it; the module defines
``create_panel(window: MainWindow) -> QWidget``. Until that module exists the window shows a
placeholder saying which issue brings the panel. What the window asks of a panel is :class:`Panel`
(a QWidget subclasses it beside ``QWidget``); a widget that does not is shown and otherwise left
alone. Register more panels at run time with ``MainWindow.add_panel(name, title, widget)``.

Panels never reach into each other: what they share is the window's document
(:class:`studio.ui.document.ProjectDocument`: the runs, the live model, run ends, the training
settings, predictions to show).
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


@dataclass(frozen=True)
class PanelEntry:
    """A panel the window offers: its name (``--panel NAME``), tab title, module and issue."""

    name: str
    title: str
    module: str
    issue: int


class Panel:
    """What the window asks of a panel; the defaults suit a panel that keeps no work of its own.

    ``shows_runs``: the window hands it run folders (``studio gui --run DIR``) through ``open_run``.
    """

    shows_runs = False

    def open_run(self, path: Path) -> object:
        """Show run folder ``path`` (called only when ``shows_runs``)."""
        return None

    def confirm_close(self) -> bool:
        """The window is closing: end or ask about running work; False keeps the window open."""
        return True

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """Finish background work now (a screenshot is taken next); False when it timed out."""
        return True


NO_PANEL = Panel()  # what the window asks of a widget that is not a Panel (the canvas, a plain widget)


def panel_of(widget: QWidget | None) -> Panel:
    """``widget`` as the window sees it: itself when it is a :class:`Panel`, else one that does nothing."""
    return widget if isinstance(widget, Panel) else NO_PANEL


PANELS = (
    PanelEntry("training", "Training", "studio.ui.training.panel", 7),
    PanelEntry("checkpoints", "Checkpoints", "studio.ui.checkpoints.panel", 8),
    PanelEntry("projector", "Projector", "studio.ui.projector.panel", 9),
)


def create_panel(entry: PanelEntry, window) -> QWidget:
    """The panel widget from ``entry.module``, or a placeholder when it is not there (or broke)."""
    try:
        module = importlib.import_module(entry.module)
    except ModuleNotFoundError as exc:
        if exc.name and entry.module.startswith(exc.name):
            return placeholder(f"The {entry.title.lower()} panel arrives with issue {entry.issue}.")
        module, error = None, exc
    except Exception as exc:  # a broken panel must not take the model builder down with it
        module, error = None, exc
    try:
        if module is None:
            raise error
        return module.create_panel(window)
    except Exception as exc:
        traceback.print_exc()
        return placeholder(f"The {entry.title.lower()} panel could not start: {exc}")


class Placeholder(QWidget, Panel):
    """A centred message standing in for a panel (it shows no runs and keeps no work)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setStyleSheet("color: palette(placeholder-text); font-size: 15px;")
        layout.addWidget(label)
        self.setObjectName("placeholder")


def placeholder(text: str) -> QWidget:
    """A centred message standing in for a panel."""
    return Placeholder(text)
