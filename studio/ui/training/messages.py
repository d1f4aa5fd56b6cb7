"""Engine errors as messages with what to do: bad data, NaN loss, out of memory, a model that does not
compile, a bad setting, or a bug (with its details one click away), chosen by the failure's kind (a
FailedEvent's, or the exception's type). The panel never dies of them.

A message names what it is about (the model, the data, the settings); when that changes, the panel
calls :meth:`MessageBar.forget` and the message goes, so no banner outlives what it describes."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from studio.engine.training import FailedEvent, TrainResult
from studio.engine.training.failures import failure_kind


@dataclass(frozen=True)
class Advice:
    """A message for the user: ``title``, the engine's ``text`` and ``action`` (what to do); ``kind``
    is the failure's (``studio.engine.training.failures.FAILURE_KINDS``)."""

    title: str
    text: str
    action: str
    details: str = ""
    kind: str = "other"

    @property
    def about(self) -> tuple[str, ...]:
        """What a change of which makes this message out of date."""
        return ABOUT.get(self.kind, ())


def advise_failure(failure: FailedEvent | TrainResult, details: str = "") -> Advice:
    """The advice for a run that failed, chosen by its ``kind``."""
    return advise(failure.reason, details=details, kind=failure.kind)


def advise(text: str, exception: BaseException | None = None, user_error: bool = True,
           details: str = "", kind: str | None = None) -> Advice:
    """Say what to do about an engine failure: by its ``kind`` when known, else by the exception's
    type; only a bare message (no kind, no exception) is classified by its words. ``user_error``
    False means an unexpected exception (a bug), not a StudioError."""
    if not user_error:
        kind = "internal"
    elif kind is None or kind not in ACTIONS:
        kind = failure_kind(exception) if exception is not None else None
        if kind in (None, "other", "internal"):
            kind = _kind_by_words(text)
    title, action = ACTIONS[kind]
    return Advice(title, text, action, details, kind)


def is_bug(text: str) -> bool:
    """Whether a trainer's failure reason is a bug's (the trainer says "internal error" only then)."""
    return text.lower().startswith("internal error")


def subjects_of(text: str) -> tuple[str, ...]:
    """What a warning's text is about (by its words: a warning has no kind)."""
    return ABOUT.get(_kind_by_words(text), ())


FIT = ("The model does not fit the data", "Give the output one value per class: the problem on the canvas "
       "has a one-click fix (or set the last layer's units), then train again.")
ACTIONS = {
    "out_of_memory": ("Out of memory", "Lower the batch size (Settings), use a smaller input size or model, "
                      "or train on the CPU."),
    "nan": ("The loss became NaN or infinite", "Lower the learning rate (try ÷10), add warm-up or gradient "
            "clipping, check the data normalisation; resume from the last good checkpoint."),
    "data": ("The data cannot be used", "Fix the data folder or the label rule on the Data page, then press "
             "Check data."),
    "spec": ("The model does not compile", "Fix the model on the canvas (the status line points at the "
             "node), then train again."),
    "fit": FIT,
    "loss": FIT,  # a loss that cannot be computed on an output: what the output gives does not fit
    "config": ("A training setting is invalid", "Correct it on the Settings page."),
    "checkpoint": ("Checkpoint problem", "Choose another checkpoint or run."),
    "disk_full": ("The disk is full", "Free some space on the disk that holds the runs, then resume the run "
                  "from its last checkpoint."),
    "other": ("Training stopped", "Check the settings and the data, then try again."),
    "internal": ("Unexpected error", "This is a bug in Studio: the details (hover here) help to report it. "
                 "Your project and checkpoints are safe."),
}
ABOUT = {"out_of_memory": ("settings", "model"), "nan": ("settings", "data"), "data": ("data",),
         "spec": ("model",), "fit": ("model", "data"), "loss": ("model", "data"), "config": ("settings",)}
WORDS = (("out_of_memory", ("out of memory", "can't allocate memory")),
         ("nan", (" nan ", " nan/", "infinite", "non-finite")),
         ("fit", ("values but the data has", "one value per class")),
         ("spec", ("does not compile", "output '", "input '", "units to")),  # before data: "image shape"
         ("data", ("data folder", "image", "class folder", "label", "validation folder")),
         ("spec", ("shape",)),
         ("checkpoint", ("checkpoint",)))


def _kind_by_words(text: str) -> str:
    """The kind a bare message names (callers that have no kind: warnings, the model check's text)."""
    lower = f" {text.lower()} "
    return next((kind for kind, words in WORDS if any(word in lower for word in words)), "other")


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
