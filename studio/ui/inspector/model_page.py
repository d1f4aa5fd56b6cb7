"""The inspector's page when no single node is selected: the model's (or the block's) parameters,
multiply-adds and activation memory, its problems linked to their nodes, the fixes that one edit
makes, and the button that edits the default scopes."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from studio.ui.format import bytes_text, count_text
from studio.ui.inspector.arg_row import ERROR_STYLE
from studio.ui.inspector.fix_buttons import FixButtons

if TYPE_CHECKING:
    from studio.ui.inspector.dock import Inspector


class ModelPage(QWidget):
    """The summary of ``inspector``'s scene: the model, the block open, or a multiple selection."""

    def __init__(self, inspector: Inspector) -> None:
        super().__init__()
        scene = inspector.scene
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        selected = scene.selected_ids()
        title = (f"{len(selected)} layers selected" if len(selected) > 1 else
                 f"Block {scene.block}" if scene.block else f"Model {scene.spec.name}")
        heading = QLabel(f"<b>{html.escape(title)}</b>")
        layout.addWidget(heading)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.linkActivated.connect(inspector.sigSelectNode.emit)
        layout.addWidget(self.summary)
        self.fixes = FixButtons(inspector)
        layout.addWidget(self.fixes)
        defaults = QPushButton("Edit defaults (arg_scope)…")
        defaults.setToolTip("Default arguments for chosen layer types, inherited by every layer here")
        defaults.clicked.connect(inspector.sigEditDefaults.emit)
        layout.addWidget(defaults)

    def refresh(self, analysis) -> None:
        """Show ``analysis`` (None: the block is not used, its shapes are unknown)."""
        self.summary.setText(summary_html(analysis))
        self.fixes.show_fixes(analysis.issues if analysis is not None else [])


def summary_html(analysis) -> str:
    """The summary's rich text: totals, then up to 20 problems, each linking to its node."""
    if analysis is None:
        return "This block is not used by the model yet: its shapes are unknown."
    lines = [f"{analysis.total_params:,} parameters ({analysis.trainable_params:,} trainable)",
             f"{count_text(analysis.total_macs)} multiply-adds per sample",
             f"activations: {bytes_text(analysis.activation_bytes(1))} per sample"]
    problems = [i for i in analysis.issues if i.severity == "error"]
    if problems:
        lines.append(f"<br><b style='{ERROR_STYLE}'>{len(problems)} problem"
                     f"{'s' if len(problems) != 1 else ''}:</b>")
        for issue in problems[:20]:
            target = html.escape(issue.node or "")
            where = f"<a href='{target}'>{target}</a>" if issue.node else "model"
            lines.append(f"{where}: {html.escape(issue.message)}")
    return "<br>".join(lines)
