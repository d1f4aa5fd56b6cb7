"""Persistent preferences (QSettings): window layout, recent files, theme, batch size, autosave."""

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

    # ---- preferences ------------------------------------------------------------------------
    def theme(self) -> str:
        value = self.store.value("theme", "system")
        return value if value in ("system", "light", "dark") else "system"

    def set_theme(self, value: str) -> None:
        self.store.setValue("theme", value)

    def batch_size(self) -> int:
        return _int(self.store.value("batch_size", 32), 32)

    def set_batch_size(self, value: int) -> None:
        self.store.setValue("batch_size", int(value))

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
        value = self.store.value("recovery_dir")
        if isinstance(value, str) and value:
            return Path(value)
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(base) / "recovery"


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
