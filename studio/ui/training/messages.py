"""Engine errors as messages with what to do: bad data, NaN loss, out of memory, a model that does not
compile, a bad setting, or a bug (with its details one click away). The panel never dies of them.

A message names what it is about (the model, the data, the settings); when that changes, the panel
calls :meth:`MessageBar.forget` and the message goes, so no banner outlives what it describes."""

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
    kind: str = "other"

    @property
    def about(self) -> tuple[str, ...]:
        """What a change of which makes this message out of date."""
        return ABOUT.get(self.kind, ())


def advise(text: str, exception: BaseException | None = None, user_error: bool = True,
           details: str = "") -> Advice:
    """Classify an engine failure (by exception type, else by words of its message, as a trainer's
    FailedEvent carries only the message) and say what to do; ``user_error`` False means an
    unexpected exception (a bug), not a StudioError."""
    lower = f" {text.lower()} "
    kind = _kind(exception, lower) if user_error else "bug"
    title, action = ACTIONS[kind]
    return Advice(title, text, action, details, kind)


def is_bug(text: str) -> bool:
    """Whether a trainer's failure reason is a bug's (the trainer says "internal error" only then)."""
    return text.lower().startswith("internal error")


def subjects_of(text: str) -> tuple[str, ...]:
    """What a warning's text is about (by its words, as :func:`advise` classifies failures)."""
    return ABOUT.get(_kind(None, f" {text.lower()} "), ())


ACTIONS = {
    "memory": ("Out of memory", "Lower the batch size (Settings), use a smaller input size or model, or "
               "train on the CPU."),
    "nan": ("The loss became NaN or infinite", "Lower the learning rate (try ÷10), add warm-up or gradient "
            "clipping, check the data normalisation; resume from the last good checkpoint."),
    "data": ("The data cannot be used", "Fix the data folder or the label rule on the Data page, then press "
             "Check data."),
    "model": ("The model does not compile", "Fix the model on the canvas (the status line points at the "
              "node), then train again."),
    "fit": ("The model does not fit the data", "Give the output one value per class: the problem on the "
            "canvas has a one-click fix (or set the last layer's units), then train again."),
    "config": ("A training setting is invalid", "Correct it on the Settings page."),
    "checkpoint": ("Checkpoint problem", "Choose another checkpoint or run."),
    "other": ("Training stopped", "Check the settings and the data, then try again."),
    "bug": ("Unexpected error", "This is a bug in Studio: the details (hover here) help to report it. Your "
            "project and checkpoints are safe."),
}
ABOUT = {"memory": ("settings", "model"), "nan": ("settings", "data"), "data": ("data",),
         "model": ("model",), "fit": ("model", "data"), "config": ("settings",)}
WORDS = (("memory", ("out of memory", "can't allocate memory")),
         ("nan", (" nan ", " nan/", "infinite", "non-finite")),
         ("fit", ("values but the data has", "one value per class")),
         ("model", ("does not compile", "output '", "input '", "units to")),  # before data: "image shape"
         ("data", ("data folder", "image", "class folder", "label", "validation folder")),
         ("model", ("shape",)),
         ("checkpoint", ("checkpoint",)))


def _kind(exception: BaseException | None, lower: str) -> str:
    for kind, words in WORDS[:3]:  # memory, NaN and fit first: their messages may mention anything
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


@dataclass(frozen=True)
class Entry:
    """One message of the bar: its ``kind`` (error, warning, info), rich ``html`` and what it is about."""

    kind: str
    html: str
    about: tuple[str, ...] = ()
    details: str = ""


class MessageBar(QFrame):
    """A coloured strip at the top of the panel: errors (red), warnings (amber), notes (grey).

    It lists the messages that are still true, most severe first: an error replaces the previous error,
    a note the previous note, a warning adds itself (once). ``forget(subject)`` removes those about
    ``subject`` ("model", "data", "settings"); × or ``clear()`` removes them all."""

    COLORS = {"error": ("#fde8e8", "#9b1c1c"), "warning": ("#fdf6e3", "#8a6d3b"),
              "info": ("#eef2f7", "#333333")}
    ORDER = ("error", "warning", "info")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)  # every entry is escaped once, here
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QPushButton("×")
        self.close_button.setFlat(True)
        self.close_button.setFixedWidth(24)
        self.close_button.setToolTip("Dismiss these messages")
        self.close_button.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.entries: list[Entry] = []
        self.hide()

    def show_advice(self, advice: Advice) -> None:
        text = (f"<b>{html.escape(advice.title)}</b>: {html.escape(advice.text)}"
                f"<br><i>What to do:</i> {html.escape(advice.action)}")
        self._add(Entry("error", text, advice.about, advice.details), replace_kind=True)

    def show_warning(self, text: str, about: tuple[str, ...] | None = None) -> None:
        """A warning (plain ``text``); ``about`` defaults to what its words name (see subjects_of)."""
        self._add(Entry("warning", "⚠ " + html.escape(text), subjects_of(text) if about is None else about))

    def show_info(self, text: str, about: tuple[str, ...] = ()) -> None:
        self._add(Entry("info", html.escape(text), about), replace_kind=True)

    def forget(self, *subjects: str) -> None:
        """Remove the messages about any of ``subjects`` (what they describe has changed)."""
        kept = [entry for entry in self.entries if not set(entry.about) & set(subjects)]
        if len(kept) != len(self.entries):
            self.entries = kept
            self._refresh()

    def clear(self) -> None:
        self.entries = []
        self._refresh()

    def text(self) -> str:
        return self.label.text()

    def _add(self, entry: Entry, replace_kind: bool = False) -> None:
        self.entries = [old for old in self.entries
                        if old.html != entry.html and not (replace_kind and old.kind == entry.kind)]
        self.entries.append(entry)
        self._refresh()

    def _refresh(self) -> None:
        entries = sorted(self.entries, key=lambda entry: self.ORDER.index(entry.kind))
        if not entries:
            self.kind = ""
            self.label.clear()
            self.label.setToolTip("")
            self.hide()
            return
        self.kind = entries[0].kind
        background, foreground = self.COLORS[self.kind]
        self.setStyleSheet(f"MessageBar {{ background: {background}; border: 1px solid {foreground}; }}"
                           f"QLabel {{ color: {foreground}; }}")
        self.label.setText("<br>".join(entry.html for entry in entries))
        self.label.setToolTip("\n\n".join(entry.details for entry in entries if entry.details))
        self.show()
