"""QApplication set-up and the entry point of ``studio gui``.

``studio gui [PROJECT] [--demo] [--screenshot PATH [--panel NAME] [--run DIR]]``: with
``--screenshot`` the window is rendered at a fixed size with panel NAME in front, saved as a PNG,
and the program exits (no display needed: `studio.cli.gui` falls back to Qt's offscreen platform).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from studio.engine.errors import StudioError
from studio.engine.project import load_project

SCREENSHOT_SIZE = (1440, 900)


def create_app() -> QApplication:
    """The application object (created once), named for QSettings, themed."""
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
    app.setOrganizationName("Studio")
    app.setApplicationName("Studio")
    from studio.ui.settings import AppSettings
    from studio.ui.theme import apply_theme

    apply_theme(app, AppSettings().theme())
    return app


def run_app(args) -> int:
    """Open the window as the command line asks; returns the exit code."""
    project = load_project(args.project) if args.project and not args.demo else None  # errors: exit 1
    app = create_app()
    from studio.ui.main_window import MainWindow

    window = MainWindow(restore_layout=not args.screenshot)
    if args.demo:
        window.open_demo()
    elif project is not None:
        window.document.open(args.project, project)
        window.settings.add_recent(args.project)
    if args.run:  # a screenshot needs the run in the panel shown only
        window.open_run(args.run, args.panel if args.screenshot else None)
    if args.screenshot:
        save_screenshot(window, args.screenshot, args.panel)
        return 0
    window.show()
    window.offer_recovery()
    return app.exec()


def save_screenshot(window, path: str | Path, panel: str = "canvas") -> Path:
    """Render ``window`` at a fixed size with ``panel`` in front to a PNG file."""
    app = QApplication.instance()
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    window.show_panel(panel)  # after show(): a panel other than the canvas hides the model docks
    for _ in range(3):
        app.processEvents()
    front = window.panels.get(panel)
    if hasattr(front, "wait_idle"):  # a panel that fills itself in the background finishes first
        front.wait_idle()
    for view in window.canvases.values():
        view.fit()
    app.processEvents()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise StudioError(f"cannot write the screenshot {path}")
    window.hide()
    return path
