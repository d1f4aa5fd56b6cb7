"""File > Import model...: a PyTorch model from code opened as an unsaved project.

The dialog says that it runs the user's code, asks for SOURCE (``file.py:factory``,
``package.module:factory`` or ``torchvision:NAME``), the factory's keyword arguments and the input
shape, and runs the engine's import (studio.engine.importing, the same call as
``studio model import``) in a :class:`Job`, never on the GUI thread. A failure is shown in place.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.engine.importing import ImportResult, import_source
from studio.engine.project import Project
from studio.ui.workers import Job, JobFailure

WARNING = ("Importing runs Python code: the file or module you name is imported and its factory "
           "called, exactly as `python` would. Import only code you trust.")


class ImportModelDialog(QDialog):
    """Asks what to import, imports it in the background; ``result`` is set when it is accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import model from code")
        self.result_: ImportResult | None = None
        self.job: Job | None = None
        warning = QLabel(WARNING)
        warning.setWordWrap(True)
        self.source = QLineEdit()
        self.source.setPlaceholderText("path/to/file.py:factory, package.module:factory or torchvision:NAME")
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        self.kwargs = QLineEdit("{}")
        self.kwargs.setToolTip('Keyword arguments of the factory as JSON, e.g. {"num_classes": 10}')
        self.shape = [QSpinBox() for _ in range(3)]
        shape_row = QHBoxLayout()
        for box, value in zip(self.shape, (3, 224, 224), strict=True):
            box.setRange(1, 4096)
            box.setValue(value)
            shape_row.addWidget(box)
        form = QFormLayout()
        form.addRow("Source", row)
        form.addRow("Arguments", self.kwargs)
        form.addRow("Input shape (C, H, W)", shape_row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file with the model", "", "Python (*.py)")
        if path:
            self.source.setText(f"{path}:")
            self.source.setFocus()

    def start_import(self) -> None:
        """Run the import in a Job; the dialog accepts when it succeeds."""
        if self.job is not None and self.job.running:
            return
        source = self.source.text().strip()
        try:
            kwargs = json.loads(self.kwargs.text() or "{}")
        except json.JSONDecodeError as exc:
            self._failed_text(f"The arguments are not JSON: {exc}")
            return
        if not isinstance(kwargs, dict):
            self._failed_text("The arguments must be a JSON object, e.g. {\"num_classes\": 10}")
            return
        shape = tuple(box.value() for box in self.shape)
        self._busy(True)
        self.status.setText(f"Importing {source}...")
        self.job = Job(lambda report: import_source(source, shape, kwargs), name="import", parent=self)
        self.job.sigFinished.connect(self._finished)
        self.job.sigFailed.connect(self._failed)
        self.job.start()

    def _finished(self, result: ImportResult) -> None:
        self._busy(False)
        if not result.verified():
            self._failed_text(f"The imported model's outputs differ from the original's by "
                              f"{result.max_diff:.3g} (more than 1e-4); not opened.")
            return
        self.result_ = result
        self.accept()

    def _failed(self, failure: JobFailure) -> None:
        self._busy(False)
        self._failed_text(failure.message)

    def _failed_text(self, message: str) -> None:
        self.status.setText(message)
        self.status.setStyleSheet("color: #c0504d")

    def _busy(self, busy: bool) -> None:
        self.status.setStyleSheet("")
        for widget in (self.source, self.kwargs, self.import_button, *self.shape):
            widget.setEnabled(not busy)


def import_model_dialog(window) -> None:
    """File > Import model...: ask, import, and open the spec as an unsaved project."""
    if not window.maybe_save():
        return
    dialog = ImportModelDialog(window)
    if dialog.exec() == QDialog.DialogCode.Accepted and dialog.result_ is not None:
        window.document.replace(Project(dialog.result_.spec))
        fit = getattr(window, "_fit_soon", None)
        if fit is not None:
            fit()
        window.statusBar().showMessage(
            f"Imported {dialog.result_.source}: {dialog.result_.node_count} nodes, max |diff| "
            f"{dialog.result_.max_diff:.3g}", 8000)
