"""Persistent preferences (QSettings): window layout, recent files, theme, autosave."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths
from PySide6.QtWidgets import QMainWindow

MAX_RECENT = 10


class AppSettings:
    """Typed access to Studio's QSettings (organisation and application names set by the app)."""

    def __init__(self) -> None:
        self.store = QSettings()

    # ---- recent files -------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.store.value("recent_files", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [item for item in items if isinstance(item, str) and item]

    def add_recent(self, path: str | Path) -> list[str]:
        """Put ``path`` first in the recent files list; returns the new list."""
        path = str(Path(path).resolve())
        items = [path] + [item for item in self.recent_files() if item != path]
        self.store.setValue("recent_files", items[:MAX_RECENT])
        return items[:MAX_RECENT]

    def clear_recent(self) -> None:
        self.store.setValue("recent_files", [])

    def project_folder(self) -> Path:
        """Where Open and Save As start for an untitled project: the folder of the last project opened
        or saved, else the user's documents folder, else the home folder."""
        for item in self.recent_files():
            if Path(item).parent.is_dir():
                return Path(item).parent
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(documents) if documents and Path(documents).is_dir() else Path.home()

    # ---- preferences ------------------------------------------------------------------------
    def theme(self) -> str:
        value = self.store.value("theme", "system")
        return value if value in ("system", "light", "dark") else "system"

    def set_theme(self, value: str) -> None:
        self.store.setValue("theme", value)

    def autosave_seconds(self) -> int:
        return max(5, _int(self.store.value("autosave_seconds", 60), 60))

    # ---- window -----------------------------------------------------------------------------
    def save_window(self, window: QMainWindow, state: QByteArray | None = None, version: int = 0) -> None:
        """Save the window's geometry and ``state`` (its dock layout; ``window.saveState(version)`` when
        None)."""
        self.store.setValue("window/geometry", window.saveGeometry())
        self.store.setValue("window/state", state if state is not None else window.saveState(version))

    def restore_window(self, window: QMainWindow, version: int = 0) -> bool:
        """Restore geometry and dock layout; False when nothing was saved yet. A layout saved under
        another ``version`` is ignored (the default layout stays)."""
        geometry, state = self.store.value("window/geometry"), self.store.value("window/state")
        if not isinstance(geometry, QByteArray) or not isinstance(state, QByteArray):
            return False
        window.restoreGeometry(geometry)
        window.restoreState(state, version)
        return True

    def sync(self) -> None:
        self.store.sync()

    # ---- places -------------------------------------------------------------------------------
    def recovery_dir(self) -> Path:
        """Where autosave files live: the ``recovery_dir`` setting, else the user's app data folder."""
        return self._place("recovery_dir", "recovery")

    def scratch_dir(self) -> Path:
        """Where untitled projects keep their runs until saved (one folder each): the ``scratch_dir``
        setting, else ``scratch`` in the user's app data folder."""
        return self._place("scratch_dir", "scratch")

    def _place(self, key: str, name: str) -> Path:
        value = self.store.value(key)
        if isinstance(value, str) and value:
            return Path(value)
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(base) / name


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
