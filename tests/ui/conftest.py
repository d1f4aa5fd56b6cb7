"""Fixtures for GUI tests: settings isolated in tmp_path, background jobs ended with their test, a main
window driven through real widgets."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

from studio.engine.project import Project
from studio.engine.templates import create_template


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, qapp, monkeypatch):
    """QSettings, the recovery folder and the data folder (runs of untitled projects) live in this
    test's tmp_path, never the user's nor another test's (test mode puts them under $HOME/.qttest)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    qapp.setOrganizationName("StudioTests")
    qapp.setApplicationName("StudioTests")
    QSettings().setValue("recovery_dir", str(tmp_path / "recovery"))
    yield tmp_path


@pytest.fixture(autouse=True)
def jobs_end_with_their_test(qapp):
    """No background job or closed widget of a test lives on into the next one (taking its CPU, its timers
    firing, its dialogs still open): by now its widgets were closed (which stops their jobs); wait for the
    jobs to end (fail if one never does), then delete the closed widgets now, not at some later event loop."""
    yield
    deadline = time.monotonic() + 120  # (a test that failed before stopping its run waits this long)
    while (alive := [t for t in threading.enumerate() if t.name.startswith("studio-")]):
        assert time.monotonic() < deadline, f"background jobs still running after the test: {alive}"
        qapp.processEvents()
        alive[0].join(0.02)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


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
