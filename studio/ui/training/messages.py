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
    """Classify an engine failure (by exception type, else by words of its message, as a trainer's
    FailedEvent carries only the message) and say what to do; ``user_error`` False means an
    unexpected exception (a bug), not a StudioError."""
    lower = f" {text.lower()} "
    kind = _kind(exception, lower) if user_error else "bug"
    title, action = ACTIONS[kind]
    return Advice(title, text, action, details)


ACTIONS = {
    "memory": ("Out of memory", "Lower the batch size (Settings), use a smaller input size or model, or "
               "train on the CPU."),
    "nan": ("The loss became NaN or infinite", "Lower the learning rate (try ÷10), add warm-up or gradient "
            "clipping, check the data normalisation; resume from the last good checkpoint."),
    "data": ("The data cannot be used", "Fix the data folder or the label rule on the Data page, then press "
             "Check data."),
    "model": ("The model does not compile", "Fix the model on the canvas (the status line points at the "
              "node), then train again."),
    "config": ("A training setting is invalid", "Correct it on the Settings page."),
    "checkpoint": ("Checkpoint problem", "Choose another checkpoint or run."),
    "other": ("Training stopped", "Check the settings and the data, then try again."),
    "bug": ("Unexpected error", "This is a bug in Studio: the details (hover here) help to report it. Your "
            "project and checkpoints are safe."),
}
WORDS = (("memory", ("out of memory", "can't allocate memory")),
         ("nan", (" nan ", " nan/", "infinite", "non-finite")),
         ("data", ("data folder", "image", "class folder", "label", "validation folder")),
         ("model", ("does not compile", "output '", "input '", "shape", "units to")),
         ("checkpoint", ("checkpoint",)))


def _kind(exception: BaseException | None, lower: str) -> str:
    for kind, words in WORDS[:2]:  # memory and NaN first: their messages may mention anything
        if any(word in lower for word in words):
            return kind
    types = ((DataError, "data"), (ShapeError, "model"), (SpecError, "model"), (ConfigError, "config"),
             (CheckpointError, "checkpoint"))
    for kind_type, kind in types:
        if isinstance(exception, kind_type):
            return kind
    for kind, words in WORDS[2:]:
        if any(word in lower for word in words):
            return kind
    return "other"


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
