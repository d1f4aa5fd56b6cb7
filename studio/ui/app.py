"""QApplication set-up and the entry point of ``studio gui``.

``studio gui [PROJECT] [--demo] [--screenshot PATH [--panel NAME] [--run DIR]]``: with
``--screenshot`` the window is rendered at a fixed size with panel NAME in front, saved as a PNG,
and the program exits (no display needed: `studio.cli.gui` falls back to Qt's offscreen platform).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from studio.engine.errors import StudioError
from studio.engine.project import load_project
from studio.ui.workers import join_jobs

SCREENSHOT_SIZE = (1280, 800)  # the smallest screen every page fits (README images)
JOIN_SECONDS = 120.0  # for background work to end after the window closed


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
        return end_background_work(0)
    window.show()
    window.offer_recovery()
    code = app.exec()
    return end_background_work(code)


def end_background_work(code: int) -> int:
    """After the event loop: wait for the background jobs (the panels asked theirs to stop when the
    window closed). One still running after JOIN_SECONDS is named and the process ends without the
    interpreter's clean-up, which would abort inside it."""
    left = join_jobs(JOIN_SECONDS)
    if not left:
        return code
    print(f"studio: warning: background work still running at exit, not waited for: {', '.join(left)}",
          file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def save_screenshot(window, path: str | Path, panel: str = "canvas") -> Path:
    """Render ``window`` at a fixed size with ``panel`` in front to a PNG file."""
    app = QApplication.instance()
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    window.show_panel(panel)  # after show(): a panel other than the canvas hides the model docks
    for _ in range(3):
        app.processEvents()
    window.panel(panel).wait_idle()  # a panel that fills itself in the background finishes first
    for view in window.canvases.values():
        view.fit()
    app.processEvents()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise StudioError(f"cannot write the screenshot {path}")
    window.hide()
    return path
