"""Drag-and-drop and clipboard payloads: palette entries and copied layers."""

from __future__ import annotations

import atexit
import json
from functools import cache

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from studio.engine.errors import StudioError
from studio.engine.jsonio import parse_json

PALETTE_MIME = "application/x-studio-palette"
FRAGMENT_MIME = "application/x-studio-fragment"


def palette_mime(kind: str, name: str) -> QMimeData:
    """Mime data for dragging a palette entry: ``kind`` is layer, block or template."""
    data = QMimeData()
    data.setData(PALETTE_MIME, json.dumps({"kind": kind, "name": name}).encode())
    data.setText(name)
    return data


def palette_entry(data: QMimeData) -> dict | None:
    """The ``{"kind", "name"}`` a palette drag carries, or None for other drags."""
    if not data.hasFormat(PALETTE_MIME):
        return None
    try:
        entry = parse_json(bytes(data.data(PALETTE_MIME)), "a palette drag")
    except StudioError:
        return None
    if not isinstance(entry, dict) or entry.get("kind") not in ("layer", "block", "template"):
        return None
    return entry


def fragment_mime(fragment: dict) -> QMimeData:
    """Clipboard data for copied layers (also as JSON text, so it can be pasted elsewhere)."""
    text = json.dumps(fragment)
    data = QMimeData()
    data.setData(FRAGMENT_MIME, text.encode())
    data.setText(text)
    return data


def fragment_text(data: QMimeData | None) -> str:
    """The fragment JSON on the clipboard ('' when there is none)."""
    if data is None:
        return ""
    if data.hasFormat(FRAGMENT_MIME):
        return bytes(data.data(FRAGMENT_MIME)).decode(errors="replace")
    return data.text() if data.hasText() else ""


def set_clipboard(data: QMimeData) -> None:
    """Put ``data`` on the clipboard. Qt's offscreen platform crashes at exit while its clipboard
    holds mime data made in Python, so there the clipboard is cleared at exit."""
    QGuiApplication.clipboard().setMimeData(data)
    if QGuiApplication.platformName() == "offscreen":
        _clear_at_exit()


@cache
def _clear_at_exit() -> None:
    atexit.register(_clear_clipboard)


def _clear_clipboard() -> None:
    app = QGuiApplication.instance()
    if app is not None:
        app.clipboard().clear()
