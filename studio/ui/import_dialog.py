"""File > Import model...: a PyTorch model from code opened as an unsaved project, with its weights.

The dialog says that it runs the user's code, asks for SOURCE (``file.py:factory``,
``package.module:factory`` or ``torchvision:NAME``), the factory's keyword arguments, the input shape
and where to save the weights (``<model>.safetensors`` in the projects folder unless changed). It runs
the engine's import (studio.engine.importing, the same calls as ``studio model import``) and writes
the weights atomically in a :class:`Job`, never on the GUI thread; a failure is shown in place and
opens nothing.

After an import the window opens the spec as an unsaved project whose training starts from the saved
weights (``TrainConfig.init`` restoring every tensor, through ``document.set_training``) and restores
them into the document's live model (the checkpoint panel's), so Export, the projector and "Fine-tune
from here" see them and the canvas marks the layers restored.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

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

from studio.engine.atomic import write_failure
from studio.engine.checkpoints.plan import make_plan
from studio.engine.errors import StudioError
from studio.engine.filenames import shown_name
from studio.engine.importing import ImportResult, import_source
from studio.engine.importing.api import write_import_weights
from studio.engine.project import Project
from studio.engine.training.config import InitConfig
from studio.ui.workers import Job, JobFailure

WARNING = ("Importing runs Python code: the file or module you name is imported and its factory "
           "called, exactly as `python` would. Import only code you trust.")
SUFFIX = ".safetensors"

Shapes = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class Imported:
    """What the import job brings back: the result and, once written, the weights file and the
    shapes of the tensors it holds."""

    result: ImportResult
    weights: Path | None = None
    shapes: Shapes = dataclasses.field(default_factory=dict)


def model_name(source: str) -> str:
    """The name the import gives the model of SOURCE (the factory's, or a .pt2 file's stem)."""
    source = source.strip()
    if source.endswith(".pt2"):
        return Path(source).stem or "model"
    return source.rpartition(":")[2].rsplit(".", 1)[-1] or "model"


def free_path(folder: Path, name: str) -> Path:
    """``folder/name.safetensors``, or ``name-2.safetensors`` and so on when that file exists."""
    path, number = folder / f"{name}{SUFFIX}", 2
    while path.exists():
        path, number = folder / f"{name}-{number}{SUFFIX}", number + 1
    return path


def import_and_save(source: str, shape: tuple[int, ...], kwargs: dict, weights: Path,
                    cancelled: threading.Event | None = None) -> Imported:
    """The work of the Job: check where the weights go, import, then write the weights
    (not when the import is not verified, the dialog says why, nor once ``cancelled`` is set)."""
    writable_folder(weights)
    result = import_source(source, shape, kwargs)
    if not result.verified() or (cancelled is not None and cancelled.is_set()):
        return Imported(result)
    try:
        written = write_import_weights(result, weights)
    except OSError as exc:
        raise StudioError(f"The weights were not saved: {write_failure(exc)}.") from None
    return Imported(result, written, {name: tuple(tensor.shape) for name, tensor in result.weights.items()})


def writable_folder(path: Path) -> None:
    """StudioError with one sentence unless ``path`` can be written (its folder may be made)."""
    if path.is_dir():
        raise StudioError(f"The weights file {shown_name(path)} is a folder: give a file name.")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise StudioError(f"The weights cannot be saved to {shown_name(path)}: {shown_name(folder)} "
                          "is not a folder Studio can write to.")


class ImportModelDialog(QDialog):
    """Asks what to import and where its weights go, imports in the background; ``result_`` (and
    ``weights_path``, ``weights_shapes``) are set when it is accepted."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import model from code")
        self.result_: ImportResult | None = None
        self.weights_path: Path | None = None
        self.weights_shapes: Shapes = {}
        self.job: Job | None = None
        self._cancelled = threading.Event()  # Cancel while importing: write nothing
        self.folder = folder if folder is not None else _projects_folder()
        self._weights_typed = False  # the user chose the weights file: the source no longer names it
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
        self.weights = QLineEdit()
        self.weights.setToolTip("The imported weights are saved here (safetensors); training and the "
                                "checkpoint panel start from them")
        self.weights_browse = QPushButton("Browse...")
        self.weights_browse.clicked.connect(self._browse_weights)
        weights_row = QHBoxLayout()
        weights_row.addWidget(self.weights, 1)
        weights_row.addWidget(self.weights_browse)
        form = QFormLayout()
        form.addRow("Source", row)
        form.addRow("Arguments", self.kwargs)
        form.addRow("Input shape (C, H, W)", shape_row)
        form.addRow("Weights file", weights_row)
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
        self.resize(680, 0)
        self.source.textChanged.connect(self._source_changed)
        self.weights.textEdited.connect(self._weights_edited)
        self._source_changed()

    def _source_changed(self) -> None:
        if not self._weights_typed:
            self.weights.setText(str(free_path(self.folder, model_name(self.source.text()))))

    def _weights_edited(self) -> None:
        self._weights_typed = True

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file with the model", "", "Python (*.py)")
        if path:
            self.source.setText(f"{path}:")
            self.source.setFocus()

    def _browse_weights(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the imported weights", self.weights.text(),
                                              f"Safetensors (*{SUFFIX})")
        if path:
            self.weights.setText(path if Path(path).suffix else path + SUFFIX)
            self._weights_typed = True

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
        weights_text = self.weights.text().strip()
        if not weights_text:
            self._failed_text("Give the file to save the imported weights to.")
            return
        weights = Path(weights_text).expanduser()
        shape = tuple(box.value() for box in self.shape)
        self._busy(True)
        self.status.setText(f"Importing {source}...")
        self._cancelled.clear()
        cancelled = self._cancelled
        self.job = Job(lambda report: import_and_save(source, shape, kwargs, weights, cancelled),
                       name="import", parent=self)
        self.job.sigFinished.connect(self._finished)
        self.job.sigFailed.connect(self._failed)
        self.job.start()

    def reject(self) -> None:
        self._cancelled.set()
        super().reject()

    def _finished(self, imported: Imported) -> None:
        self._busy(False)
        if self._cancelled.is_set():
            return
        result = imported.result
        if imported.weights is None:
            self._failed_text(f"The imported model's outputs differ from the original's by "
                              f"{result.max_diff:.3g} (more than 1e-4); not opened.")
            return
        self.result_, self.weights_path, self.weights_shapes = result, imported.weights, imported.shapes
        self.status.setText(success_line(result, imported.weights))
        self._fit_height()
        self.accept()

    def _failed(self, failure: JobFailure) -> None:
        self._busy(False)
        self._failed_text(failure.message)

    def _failed_text(self, message: str) -> None:
        self.status.setText(message)
        self.status.setStyleSheet("color: #c0504d")
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to show a long message whole (the fields above it keep their height)."""
        layout = self.layout()
        layout.activate()
        needed = (layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth()
                  else layout.totalSizeHint().height())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _busy(self, busy: bool) -> None:
        self.status.setStyleSheet("")
        for widget in (self.source, self.kwargs, self.weights, self.weights_browse, self.import_button,
                       *self.shape):
            widget.setEnabled(not busy)


def success_line(result: ImportResult, weights: Path) -> str:
    return (f"Imported {result.source}: {result.node_count} nodes, max |diff| {result.max_diff:.3g}; "
            f"weights saved to {shown_name(weights)} (training starts from them).")


def _projects_folder() -> Path:
    from studio.ui.settings import AppSettings

    return AppSettings().project_folder()


def import_model_dialog(window) -> ImportModelDialog | None:
    """File > Import model...: ask, import, open the spec as an unsaved project that trains from the
    imported weights, and restore them into the live model."""
    if not window.maybe_save():
        return None
    dialog = ImportModelDialog(window)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.result_ is None:
        return dialog
    document = window.document
    document.replace(Project(dialog.result_.spec))
    step = InitConfig(str(dialog.weights_path))  # every tensor, nothing frozen
    training = dict(document.project.training)
    training["init"] = [dataclasses.asdict(step)]
    document.set_training(training)  # the training forms reload: Train starts from the weights
    live = getattr(document, "live_model", None)
    if live is not None:
        restore_live(live, dialog.weights_shapes, step, window.message)
    fit = getattr(window, "_fit_soon", None)
    if fit is not None:
        fit()
    window.message(success_line(dialog.result_, dialog.weights_path))
    return dialog


def restore_live(live, shapes: Shapes, step: InitConfig, message) -> None:
    """Once ``live`` (the checkpoint panel's live model) is built, restore every tensor of the file
    ``step.checkpoint`` (its tensors' ``shapes``) into it in its own Job; ``message(text)`` says
    when that cannot be done."""
    def failed(text: str) -> None:
        message(f"The imported weights were not put in the live model: {text}")

    def restore() -> None:
        try:
            plan = make_plan(live.shapes, shapes)
        except StudioError as exc:
            failed(str(exc))
            return
        job = live.restore(plan, step.checkpoint, step)
        job.sigFailed.connect(lambda failure: failed(failure.message))

    live.when_ready(restore, failed)
