"""Why Train is disabled: the model on the canvas has a problem (analysed against the chosen data), said
in place beside the Train button, with the one-click fix when there is one ("Set fc1 to 3 outputs")."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from studio.engine.spec.analysis import Analysis
from studio.engine.spec.build import Fix, Issue


def first_problem(analysis: Analysis | None) -> Issue | None:
    """The problem Train names: the first one with a fix, else the first error."""
    issues = analysis.issues if analysis is not None else []
    errors = [issue for issue in issues if issue.severity == "error"]
    return next((issue for issue in errors if issue.fix is not None), errors[0] if errors else None)


class ModelCheck(QWidget):
    """Hidden while the model can train; else the reason and, when one edit solves it, its button."""

    sigFix = Signal(object)  # the Fix the user clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # the message as it is, never markup
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #b3261e;")
        self.fix_button = QPushButton()
        self.fix_button.setToolTip("Make this change on the canvas (Ctrl+Z undoes it)")
        self.fix_button.clicked.connect(lambda: self.fix is not None and self.sigFix.emit(self.fix))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.fix_button)
        self.problem: Issue | None = None
        self.fix: Fix | None = None
        self.hide()

    @property
    def blocked(self) -> bool:
        return self.problem is not None

    def show_analysis(self, analysis: Analysis | None) -> None:
        self.problem = first_problem(analysis)
        self.fix = self.problem.fix if self.problem is not None else None
        if self.problem is None:
            self.hide()
            return
        count = sum(issue.severity == "error" for issue in analysis.issues)
        more = f" (and {count - 1} more on the canvas)" if count > 1 else ""
        self.label.setText(f"⚠ Fix the model before training: {self.problem}{more}")
        self.fix_button.setText(self.fix.label if self.fix is not None else "")
        self.fix_button.setVisible(self.fix is not None)
        self.show()

    def reason(self) -> str:
        """The sentence the disabled Train button's tooltip gives."""
        return f"Fix the model first: {self.problem}" if self.problem is not None else ""
