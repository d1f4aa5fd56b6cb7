"""One button per problem that one edit solves ("Set fc1 to 3 outputs"), on the model's canvas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from studio.ui.inspector.dock import Inspector


class FixButtons(QWidget):
    """One button per problem that one edit solves ("Set fc1 to 3 outputs"), on the model's canvas."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.buttons: list[QPushButton] = []
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def show_fixes(self, issues: list) -> None:
        fixes = [] if self.inspector.scene.block is not None else list(dict.fromkeys(
            issue.fix for issue in issues if issue.fix is not None))
        if [button.text() for button in self.buttons] == [fix.label for fix in fixes]:
            return
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        for fix in fixes:
            button = QPushButton(fix.label)
            button.setToolTip("Make this change (Ctrl+Z undoes it)")
            button.clicked.connect(lambda _checked=False, fix=fix: self.inspector.apply_fix(fix))
            self.layout().addWidget(button)
            self.buttons.append(button)
        self.setVisible(bool(fixes))
