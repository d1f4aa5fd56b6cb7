"""A one-line label that never widens its page: text that does not fit is elided in the middle (the
distinct end of a run name or folder stays in view) and shown whole in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_CHARS = 8  # the narrowest it gets, in average characters


class ElidedLabel(QLabel):
    """``setText(text)`` keeps ``text``; what shows is ``text`` elided to the label's width."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full = ""
        self._tooltip = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        self._full = text
        self._elide()

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt naming
        self._tooltip = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def is_elided(self) -> bool:
        return super().text() != self._full

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        metrics = self.fontMetrics()
        return QSize(min(metrics.horizontalAdvance(self._full), metrics.averageCharWidth() * MIN_CHARS),
                     super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4, super().sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(self.width(), 1))
        super().setText(shown)
        whole = self._full if shown != self._full else ""  # the tooltip says what the eye misses
        super().setToolTip("\n".join(part for part in (whole, self._tooltip) if part))
