"""Export dialog: format, options (opset, dynamic batch, traced or scripted), destination; the export
runs in the background with progress and ends with the engine's verification: the largest output
difference between the reloaded export and the in-app model."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from studio.engine.checkpoints.export import DEFAULT_OPSET, ONNX_HINT, ExportResult, export_model
from studio.engine.checkpoints.reader import CheckpointSource
from studio.engine.spec.model import ModelSpec
from studio.ui.elided import ElidedLabel
from studio.ui.workers import Job, JobFailure

# format -> (label, default file name, needs the spec)
FORMATS = {
    "safetensors": ("safetensors weights", "model.safetensors", False),
    "pt": ("PyTorch state_dict (.pt)", "model.pt", False),
    "torchscript": ("TorchScript (.pt)", "model.torchscript.pt", True),
    "onnx": ("ONNX", "model.onnx", True),
    "code": ("PyTorch source + weights (folder)", "model_code", True),
}
OK_COLOR, BAD_COLOR = "#2e8b57", "#d9342b"


def missing_packages(format: str) -> list[str]:
    """Optional packages a format needs that are not installed."""
    needed = ["onnx", "onnxruntime"] if format == "onnx" else []
    return [name for name in needed if importlib.util.find_spec(name) is None]


class ExportDialog(QDialog):
    """Exports ``weights`` (checkpoint path, state_dict or model) of ``spec`` to a chosen format."""

    sigExported = Signal(object)  # ExportResult
    sigFailed = Signal(str)  # why nothing was exported

    def __init__(self, spec: ModelSpec | None, weights: CheckpointSource, label: str,
                 directory: str | Path | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(560)
        self.spec, self.weights = spec, weights
        self.directory = Path(directory or Path.cwd())
        self.result: ExportResult | None = None
        self.job: Job | None = None

        self.format = QComboBox()
        for key, (text, _, needs_spec) in FORMATS.items():
            self.format.addItem(text, key)
            if needs_spec and spec is None:
                self.format.model().item(self.format.count() - 1).setEnabled(False)
        self.opset = QSpinBox()
        self.opset.setRange(9, 21)
        self.opset.setValue(DEFAULT_OPSET)
        self.dynamic = QCheckBox("Dynamic batch size")
        self.dynamic.setChecked(True)
        self.scripted = QCheckBox("Script (instead of tracing)")
        self.scripted.setToolTip("Scripting compiles the generated source; tracing records one forward pass")
        self.destination = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        where = QHBoxLayout()
        where.addWidget(self.destination, 1)
        where.addWidget(browse)
        form = QFormLayout()
        self.weights_label = ElidedLabel(label)  # "small_cnn-2026…-b / ckpt-….safetensors": never widens it
        form.addRow("Weights", self.weights_label)
        form.addRow("Format", self.format)
        form.addRow("ONNX opset", self.opset)
        form.addRow("", self.dynamic)
        form.addRow("", self.scripted)
        form.addRow("Destination", where)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.destination.textChanged.connect(self._forget_result)
        self._format_changed()

    # ---- options ------------------------------------------------------------------------------
    @property
    def chosen_format(self) -> str:
        return self.format.currentData()

    def set_format(self, format: str) -> None:
        self.format.setCurrentIndex(self.format.findData(format))

    def _forget_result(self) -> None:
        """Another format or destination: the line about the last export no longer describes them."""
        if not self.busy:
            self.status.clear()

    def _format_changed(self) -> None:
        self._forget_result()
        format = self.chosen_format
        self.opset.setEnabled(format == "onnx")
        self.dynamic.setEnabled(format == "onnx")
        self.scripted.setEnabled(format == "torchscript")
        current = Path(self.destination.text()) if self.destination.text() else None
        folder = current.parent if current is not None else self.directory
        self.destination.setText(str(folder / FORMATS[format][1]))
        missing = missing_packages(format)
        if missing:
            self.note.setText(f"<span style='color:{BAD_COLOR}'>{', '.join(missing)} not installed. "
                              f"{ONNX_HINT}</span>")
        elif format in ("safetensors", "pt") and self.spec is None:
            self.note.setText("No model spec is known for these weights: the reloaded tensors are compared "
                              "instead of model outputs.")
        else:
            self.note.setText("The export is reloaded with its own runtime and compared with the model on "
                              "a sample batch before it is reported done.")
        self.export_button.setEnabled(not missing and not self.busy)

    def _browse(self) -> None:
        if self.chosen_format == "code":
            path = QFileDialog.getExistingDirectory(self, "Export into folder", str(self.directory))
            path = str(Path(path) / FORMATS["code"][1]) if path else ""
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Export to", self.destination.text())
        if path:
            self.destination.setText(path)

    # ---- running ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.running

    def start(self) -> None:
        """Export in the background with the chosen options."""
        format, out = self.chosen_format, self.destination.text().strip()
        if not out:
            self._show_failure("choose where to write the export")
            return
        spec, weights, opset = self.spec, self.weights, self.opset.value()
        options = {"opset": opset, "script": self.scripted.isChecked() and format == "torchscript"}
        if format == "onnx":
            options["dynamic_batch"] = self.dynamic.isChecked()
        self.result = None
        self.status.setText(f"Exporting {FORMATS[format][0]} …")
        self.progress.setValue(0)
        self.progress.show()
        self.export_button.setEnabled(False)
        self.job = Job(lambda report: export_model(spec, weights, format, Path(out).expanduser(),
                                                   progress=lambda f, what: report((f, what)), **options),
                       name="export", parent=self)
        self.job.sigEvents.connect(self._progress)
        self.job.sigFinished.connect(self._done)
        self.job.sigFailed.connect(lambda failure: self._show_failure(failure.message, failure))
        self.job.start()

    def _progress(self, events: list) -> None:
        fraction, what = events[-1]
        self.progress.setValue(int(100 * fraction))
        self.progress.setFormat(f"{what}  %p%")

    def _done(self, result: ExportResult) -> None:
        self.result = result
        self.progress.hide()
        self.export_button.setEnabled(True)
        checked = f"on a batch of {result.batch}" if result.batch else "tensor by tensor"
        opset = f", opset {result.opset}" if result.opset else ""
        self.status.setText(f"<span style='color:{OK_COLOR}'>✔ Exported to <b>{result.path}</b>{opset}.<br>"
                            f"Verified with {result.verified_with} {checked}: max difference "
                            f"<b>{result.max_abs_diff:.3g}</b></span>")
        self.sigExported.emit(result)

    def _show_failure(self, message: str, failure: JobFailure | None = None) -> None:
        self.progress.hide()
        self.export_button.setEnabled(not missing_packages(self.chosen_format))
        prefix = "" if failure is None or failure.user_error else "Unexpected error: "
        self.status.setText(f"<span style='color:{BAD_COLOR}'>✘ Not exported. {prefix}{message}</span>")
        self.sigFailed.emit(message)

