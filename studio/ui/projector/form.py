"""``SetupForm``: what to project — run, checkpoint (or the live model), images, layer, method —
plus the Project / Cancel buttons and the progress of the job running it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.checkpoints import CheckpointInfo, CheckpointStore
from studio.engine.projector.layer import embedding_layer, run_output
from studio.engine.projector.request import ProjectionRequest
from studio.engine.runs import RunReader, layout
from studio.engine.spec.model import ModelSpec
from studio.ui.elided import ElidedLabel
from studio.ui.projector.methods import MethodOptions

LIVE = "live"
VALIDATION = "validation"
THUMB_SIZES = (16, 32, 48, 64)
COMPARE_MODES = (("side", "side by side"), ("animate", "animated"))


def checkpoint_title(info: CheckpointInfo) -> str:
    marks = [m for m, on in (("best", info.is_best), ("last", info.is_last)) if on]
    accuracy = next((v for k, v in info.metrics.items() if "acc" in k and isinstance(v, float)), None)
    text = f"step {info.step}"
    if accuracy is not None:
        text += f"  acc {accuracy:.3f}"
    return text + (f"  ({', '.join(marks)})" if marks else "")


class SetupForm(QWidget):
    """The left column of the projector."""

    sigProject = Signal(object)  # ProjectionRequest
    sigCancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_dir: Path | None = None
        self.spec: ModelSpec | None = None
        self.class_names: tuple[str, ...] = ()
        self.live_available = False
        self.run_label = ElidedLabel("No run open")  # one line: "Run: small_cnn-2026…-195910"
        browse_run = QPushButton("Open run…")
        browse_run.clicked.connect(self._browse_run)
        self.checkpoint = QComboBox()
        self.data = QComboBox()
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("image folder (class sub-folders)")
        browse_folder = QPushButton("…")
        browse_folder.setFixedWidth(28)
        browse_folder.clicked.connect(self._browse_folder)
        self.layer = QComboBox(editable=True)
        self.layer.setToolTip("the node whose output is projected; nested nodes as block.node")
        self.thumbs = QComboBox()
        for size in THUMB_SIZES:
            self.thumbs.addItem(f"{size} px", size)
        self.thumbs.setCurrentIndex(THUMB_SIZES.index(32))
        self.methods = MethodOptions()
        self.compare = QCheckBox("Compare with")
        self.compare_checkpoint = QComboBox()
        self.compare_mode = QComboBox()
        for key, title in COMPARE_MODES:
            self.compare_mode.addItem(title, key)
        self.project_button = QPushButton("Project")
        self.project_button.setDefault(True)
        self.project_button.clicked.connect(self._project)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.sigCancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self._build(browse_run, browse_folder)
        self.data.currentIndexChanged.connect(self._data_changed)
        self.compare.toggled.connect(self._compare_changed)
        self._fill_data()
        self._compare_changed()
        for combo in self.findChildren(QComboBox):  # long checkpoint names must not widen the form
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        for combo in (self.checkpoint, self.compare_checkpoint):  # what the narrow box cuts off, in full
            combo.currentTextChanged.connect(combo.setToolTip)

    def _build(self, browse_run: QPushButton, browse_folder: QPushButton) -> None:
        source = QGroupBox("Source")
        form = QFormLayout(source)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_label, 1)
        run_row.addWidget(browse_run)
        form.addRow(run_row)
        form.addRow("Model", self.checkpoint)
        form.addRow("Images", self.data)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse_folder)
        form.addRow("", folder_row)
        form.addRow("Layer", self.layer)
        form.addRow("Thumbnails", self.thumbs)
        method = QGroupBox("Projection")
        method_layout = QVBoxLayout(method)
        method_layout.addWidget(self.methods)
        compare = QGroupBox("Compare checkpoints")
        compare_form = QFormLayout(compare)
        compare_form.addRow(self.compare, self.compare_checkpoint)
        compare_form.addRow("Show", self.compare_mode)
        buttons = QHBoxLayout()
        buttons.addWidget(self.project_button, 1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(source)
        layout.addWidget(method)
        layout.addWidget(compare)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)

    # ---- content --------------------------------------------------------------------------------
    def set_run(self, run_dir: str | Path) -> None:
        """Offer ``run_dir``'s checkpoints, layers, classes and validation split."""
        reader = RunReader(run_dir)
        self.run_dir = Path(run_dir)
        self.run_label.setText(f"Run: {self.run_dir.name}")
        self.run_label.setToolTip(str(self.run_dir))
        checkpoints = reader.checkpoints()
        spec = reader.spec()
        if spec is None and checkpoints:
            spec = CheckpointStore(self.run_dir / layout.CHECKPOINTS).load_spec(checkpoints[-1])
        report = reader.data_report() or {}
        self.class_names = tuple(report.get("class_names") or ())
        self.set_spec(spec, run_output(spec, reader.config()) if spec is not None else None)
        preferred = next((i for i, c in enumerate(checkpoints) if c.is_best), len(checkpoints) - 1)
        for box in (self.checkpoint, self.compare_checkpoint):
            box.clear()
            for info in checkpoints:
                box.addItem(checkpoint_title(info), str(info.path))
        if self.live_available:
            self.checkpoint.addItem("Live model (canvas)", LIVE)
        self.checkpoint.setCurrentIndex(max(preferred, 0))
        self.compare_checkpoint.setCurrentIndex(0)
        self._fill_data()
        self.methods.set_classes(self.class_names)
        self.status.setText("" if checkpoints else "This run has no checkpoint yet: use the live model.")

    def set_spec(self, spec: ModelSpec | None, output: str | None = None) -> None:
        """Offer the nodes of ``spec`` as layers (the embedding layer of ``output`` preselected: the one
        ``studio embed`` takes)."""
        self.spec = spec
        current = self.layer.currentText()
        self.layer.clear()
        if spec is None:
            return
        node_ids = [n.id for n in spec.nodes.values() if n.type != "output"]
        self.layer.addItems(node_ids)
        default = embedding_layer(spec, output)
        self.layer.setCurrentText(current if current and current in node_ids else default)

    def set_live_available(self, available: bool) -> None:
        self.live_available = available
        if available and self.checkpoint.findData(LIVE) < 0:
            self.checkpoint.addItem("Live model (canvas)", LIVE)

    def choose_layer(self, node: str) -> None:
        self.layer.setCurrentText(node)

    def _fill_data(self) -> None:
        self.data.clear()
        has_split = self.run_dir is not None and (self.run_dir / layout.SPLIT).exists()
        if has_split:
            self.data.addItem("Validation split of the run", VALIDATION)
        self.data.addItem("Folder", "folder")
        self._data_changed()

    def _data_changed(self) -> None:
        self.folder.setEnabled(self.data.currentData() == "folder")

    def _compare_changed(self) -> None:
        on = self.compare.isChecked()
        self.compare_checkpoint.setEnabled(on)
        self.compare_mode.setEnabled(on)

    def _browse_run(self) -> None:
        start = str(self.run_dir or Path.home())
        path = QFileDialog.getExistingDirectory(self, "Open a run directory", start)
        if path:
            self.set_run(path)

    def _browse_folder(self) -> None:
        start = self.folder.text() or str(Path.home())
        path = QFileDialog.getExistingDirectory(self, "Images to project", start)
        if path:
            self.folder.setText(path)
            self.data.setCurrentIndex(self.data.findData("folder"))

    # ---- requests -------------------------------------------------------------------------------
    def request(self) -> ProjectionRequest:
        """The request the form describes now."""
        checkpoint = self.checkpoint.currentData()
        data = None if self.data.currentData() == VALIDATION else self.folder.text().strip()
        compare = self.compare_checkpoint.currentData() if self.compare.isChecked() else None
        return ProjectionRequest(str(self.run_dir) if self.run_dir else None,
                                 None if checkpoint == LIVE else checkpoint, data,
                                 self.layer.currentText().strip(), self.methods.choice(),
                                 int(self.thumbs.currentData()), compare, self.compare_mode.currentData())

    def _project(self) -> None:
        self.sigProject.emit(self.request())

    def set_busy(self, busy: bool) -> None:
        self.project_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if not busy:
            self.progress.setRange(0, 1000)
            self.progress.setValue(0)

    def show_progress(self, text: str, fraction: float | None) -> None:
        self.status.setText(text)
        if fraction is None:
            self.progress.setRange(0, 0)  # busy indicator
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * max(0.0, min(1.0, fraction))))
