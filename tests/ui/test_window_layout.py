"""The window's dock layout survives a relaunch from any tab, and View > Reset Layout brings back docks
the user closed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from studio.ui.main_window import MainWindow

MODEL_DOCKS = ("palette", "inspector")


def open_window(qtbot) -> MainWindow:
    """A window as `studio gui` opens it: the saved layout restored, shown."""
    window = MainWindow()
    window.ask_save = lambda: "discard"
    window.show_error = lambda title, text: pytest.fail(f"unexpected error dialog: {title}: {text}")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def visible_docks(window: MainWindow) -> set[str]:
    return {name for name, dock in window.docks.items() if dock.isVisible()}


def in_front(window: MainWindow, name: str) -> bool:
    """The dock is visible and not behind another dock of its tab group."""
    dock = window.docks[name]
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


@pytest.mark.parametrize("panel", ["training", "checkpoints", "projector"])
def test_quitting_from_a_panel_keeps_the_model_docks(qtbot, panel):
    window = open_window(qtbot)
    assert {"palette", "inspector"} <= visible_docks(window)
    bar = window.tabs.tabBar()
    tab = bar.tabRect(window.tabs.indexOf(window.pages[panel])).center()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=tab)
    assert window.current_panel() == panel
    assert not visible_docks(window)  # the panel has the whole window
    window.close()

    again = open_window(qtbot)
    assert again.current_panel() == "canvas"
    assert in_front(again, "palette") and in_front(again, "inspector")
    again.close()


def test_a_dock_the_user_closed_stays_closed_until_reset_layout(qtbot):
    window = open_window(qtbot)
    window.docks["palette"].toggleViewAction().trigger()  # View > Docks > Layers: off
    window.docks["code"].raise_()
    window.show_panel("training")
    window.close()

    again = open_window(qtbot)
    assert "palette" not in visible_docks(again) and in_front(again, "code")
    again.docks["inspector"].close()  # the dock's own close button
    again.show_panel("projector")
    again.actions_.reset_layout.trigger()  # View > Reset Layout
    assert again.current_panel() == "canvas"
    assert visible_docks(again) == {"palette", "inspector", "code", "history"}
    assert in_front(again, "palette") and in_front(again, "inspector") and not in_front(again, "code")
    assert not any(dock.isFloating() for dock in again.docks.values())
    assert again.docks["palette"].width() < again.width() // 3  # a side dock, not the window
    again.close()

    third = open_window(qtbot)
    assert in_front(third, "palette") and in_front(third, "inspector")
    third.close()


def test_a_layout_saved_by_an_older_version_is_dropped(qtbot):
    """Studio before LAYOUT_VERSION saved the docks a panel had hidden: such a layout is not restored."""
    window = open_window(qtbot)
    window.show_panel("training")
    QSettings().setValue("window/geometry", window.saveGeometry())
    QSettings().setValue("window/state", window.saveState())  # (version 0, docks hidden)
    window.settings.save_window = lambda *args: None  # keep what this test wrote
    window.close()

    again = open_window(qtbot)
    assert in_front(again, "palette") and in_front(again, "inspector")
    again.close()

