"""Engine errors as messages with what to do: bad data, NaN loss, out of memory, a model that does not
compile, a bad setting, or a bug (with its details one click away). The panel never dies of them."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.engine.checkpoints import CheckpointError
from studio.engine.data import DataError
from studio.engine.errors import ShapeError, SpecError
from studio.engine.training.fields import ConfigError


@dataclass(frozen=True)
class Advice:
    """A message for the user: ``title``, the engine's ``text`` and ``action`` (what to do)."""

    title: str
    text: str
    action: str
    details: str = ""


def advise(text: str, exception: BaseException | None = None, user_error: bool = True,
           details: str = "") -> Advice:
    """Classify an engine failure (by exception type, else by its message) and say what to do;
    ``user_error`` False means an unexpected exception (a bug), not a StudioError."""
    lower = text.lower()
    if "out of memory" in lower:
        return Advice("Out of memory", text, "Lower the batch size (Settings), use a smaller input size or "
                      "model, or train on the CPU.", details)
    if "nan" in lower.split() or "non-finite" in lower or " inf " in f" {lower} " or "nan/inf" in lower:
        return Advice("The loss became NaN/inf", text, "Lower the learning rate (try ÷10), add warm-up or "
                      "gradient clipping, and check the data normalisation; resume from the last good "
                      "checkpoint.", details)
    if isinstance(exception, DataError):
        return Advice("The data cannot be used", text, "Fix the data folder or the label rule on the "
                      "Data page, then press Check data.", details)
    if isinstance(exception, ShapeError | SpecError):
        return Advice("The model does not compile", text, "Fix the highlighted node on the canvas "
                      "(shapes and arguments), then train again.", details)
    if isinstance(exception, ConfigError):
        return Advice("A training setting is invalid", text, "Correct it on the Settings page.", details)
    if isinstance(exception, CheckpointError):
        return Advice("Checkpoint problem", text, "Choose another checkpoint or run.", details)
    if not user_error:
        return Advice("Unexpected error", text, "This is a bug in Studio: the details below help to "
                      "report it. Your project and checkpoints are safe.", details)
    return Advice("Training stopped", text, "Check the settings and data and try again.", details)


class MessageBar(QFrame):
    """A coloured strip at the top of the panel: errors (red), warnings (amber), notes (grey)."""

    COLORS = {"error": ("#fde8e8", "#9b1c1c"), "warning": ("#fdf6e3", "#8a6d3b"),
              "info": ("#eef2f7", "#333333")}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QPushButton("×")
        self.close_button.setFlat(True)
        self.close_button.setFixedWidth(24)
        self.close_button.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.hide()

    def show_advice(self, advice: Advice) -> None:
        text = (f"<b>{html.escape(advice.title)}</b>: {html.escape(advice.text)}"
                f"<br><i>What to do:</i> {html.escape(advice.action)}")
        self.label.setToolTip(advice.details)
        self._show("error", text)

    def show_warning(self, text: str) -> None:
        self._show("warning", html.escape(text))

    def show_info(self, text: str) -> None:
        self._show("info", html.escape(text))

    def clear(self) -> None:
        self.kind = ""
        self.label.clear()
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def _show(self, kind: str, text: str) -> None:
        background, foreground = self.COLORS[kind]
        self.setStyleSheet(f"MessageBar {{ background: {background}; border: 1px solid {foreground}; }}"
                           f"QLabel {{ color: {foreground}; }}")
        self.kind = kind
        self.label.setText(text)
        self.show()
