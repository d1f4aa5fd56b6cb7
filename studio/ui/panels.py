"""The panels beside the canvas (training, checkpoints, projector) and how they plug in.

A panel is a QWidget shown as a tab of the main window next to the model canvas. Each entry of
:data:`PANELS` names the module that provides it; the module defines
``create_panel(window: MainWindow) -> QWidget``. Until that module exists the window shows a
placeholder saying which issue brings the panel. A panel widget may define ``open_run(path)``:
the window calls it for ``studio gui --run DIR``. Register more panels at run time with
``MainWindow.add_panel(name, title, widget)``.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


@dataclass(frozen=True)
class PanelEntry:
    """A panel the window offers: its name (``--panel NAME``), tab title, module and issue."""

    name: str
    title: str
    module: str
    issue: int


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


def placeholder(text: str) -> QWidget:
    """A centred message standing in for a panel."""
    widget = QWidget()
    layout = QVBoxLayout(widget)
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text); font-size: 15px;")
    layout.addWidget(label)
    widget.setObjectName("placeholder")
    return widget
