"""A read-only view of the PyTorch source generated for the current graph, updated live."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from studio.engine.errors import StudioError
from studio.engine.spec.analysis import Analysis
from studio.engine.spec.model import ModelSpec


def generate(spec: ModelSpec) -> str:
    """Generated source, or raises StudioError explaining why there is none."""
    try:
        from studio.engine.codegen import generate_source
    except ImportError:
        raise StudioError("code generation is not available in this version of Studio") from None
    return generate_source(spec)


class CodeView(QWidget):
    """Source text with a copy button; regenerates after each analysis while visible."""

    def __init__(self, spec: ModelSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.note = QLabel()
        self.note.setWordWrap(True)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the source to the clipboard")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        bar = QHBoxLayout()
        bar.addWidget(self.note, 1)
        bar.addWidget(copy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.text)
        self._stale = True

    def show_analysis(self, analysis: Analysis) -> None:
        """Regenerate now when visible, else when shown."""
        self._stale = True
        if self.isVisible():
            self.regenerate(analysis)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.regenerate()

    def regenerate(self, analysis: Analysis | None = None) -> None:
        self._stale = False
        if analysis is not None and not analysis.ok:
            self.note.setText("⚠ Fix the model's problems to update the code (showing the last valid code).")
            return
        try:
            source = generate(self.spec)
        except StudioError as exc:
            self.note.setText(f"⚠ {exc}")
            return
        bar = self.text.verticalScrollBar().value()
        self.text.setPlainText(source)
        self.text.verticalScrollBar().setValue(bar)
        self.note.setText(f"Standalone PyTorch source for '{self.spec.name}' ({source.count(chr(10))} lines)")
