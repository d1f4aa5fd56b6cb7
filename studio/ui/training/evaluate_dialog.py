"""'Evaluate checkpoint': pick one of a run's checkpoints and an image folder to score it on."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from studio.engine.runs import RunReader
from studio.ui.training.data_form import FolderEdit


class EvaluateDialog(QDialog):
    """Checkpoint (best first) and folder; ``choice()`` gives ``(checkpoint path, folder)``."""

    def __init__(self, run_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Evaluate checkpoint")
        self.checkpoint = QComboBox()
        infos = sorted(RunReader(run_dir).checkpoints(), key=lambda info: (not info.is_best, -info.step))
        for info in infos:
            accuracy = info.metrics.get("val/accuracy")
            extra = f", val acc {accuracy:.1%}" if isinstance(accuracy, float) else ""
            tag = " (best)" if info.is_best else " (last)" if info.is_last else ""
            self.checkpoint.addItem(f"{info.name}: step {info.step:,}{extra}{tag}", str(info.path))
        self.folder = FolderEdit("folder with one sub-folder per class (the run's class names)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel(f"Run: {run_dir}"))
        form.addRow("checkpoint", self.checkpoint)
        form.addRow("images", self.folder)
        form.addRow(self.buttons)
        self.resize(620, 160)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        self.folder.edit.textChanged.connect(lambda text: ok.setEnabled(bool(infos) and bool(text.strip())))

    def choice(self) -> tuple[str, str] | None:
        if self.checkpoint.currentData() is None or not self.folder.text():
            return None
        return self.checkpoint.currentData(), self.folder.text()
