"""Fixtures for GUI tests: settings isolated in tmp_path, background jobs ended with their test, a main
window driven through real widgets."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from studio.engine.project import Project
from studio.engine.templates import create_template


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, qapp):
    """QSettings and the recovery folder live in this test's tmp_path, never the user's."""
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    qapp.setOrganizationName("StudioTests")
    qapp.setApplicationName("StudioTests")
    QSettings().setValue("recovery_dir", str(tmp_path / "recovery"))
    yield tmp_path


@pytest.fixture(autouse=True)
def jobs_end_with_their_test(qapp):
    """No background job of a test runs on into the next one (taking its CPU, or finishing in it): by now
    its widgets were closed (which stops their jobs); wait for the rest to end, fail if one never does."""
    yield
    deadline = time.monotonic() + 300
    while (alive := [t for t in threading.enumerate() if t.name.startswith("studio-")]):
        assert time.monotonic() < deadline, f"background jobs still running after the test: {alive}"
        qapp.processEvents()
        alive[0].join(0.02)


@pytest.fixture
def window(qtbot):
    """A shown main window; unsaved changes are discarded when the test closes it."""
    from studio.ui.main_window import MainWindow

    win = MainWindow(restore_layout=False)
    win.ask_save = lambda: "discard"
    win.show_error = lambda title, text: pytest.fail(f"unexpected error dialog: {title}: {text}")
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def demo(window):
    """The window showing the small CNN template."""
    window.document.replace(Project(create_template("small_cnn")))
    window.document.revalidate()
    return window
