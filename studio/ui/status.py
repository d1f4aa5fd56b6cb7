"""The status line: parameter, multiply-add and activation-memory totals at the training batch size,
or the number of problems (click to go to the first one)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from studio.engine.spec.analysis import Analysis
from studio.engine.training import TrainConfig
from studio.ui.format import bytes_text, count_text


class StatusLine(QWidget):
    """Totals of the current analysis; ``sigShowProblem(node_id)`` when the problem count is clicked."""

    sigShowProblem = Signal(str)  # node id of the first problem
    sigBatchChanged = Signal(int)  # the batch size for the memory estimate, edited here

    def __init__(self, batch_size: int = TrainConfig.batch_size, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.analysis: Analysis | None = None
        self.totals = QLabel()
        self.problems = QLabel()
        self.problems.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems.setStyleSheet("color: #d9342b; font-weight: bold;")
        self.problems.linkActivated.connect(self.sigShowProblem.emit)
        self.batch = QSpinBox()
        self.batch.setRange(1, 65536)
        self.batch.setValue(batch_size)
        self.batch.setPrefix("batch ")
        self.batch.setToolTip("Batch size of the activation memory estimate: the training batch size "
                              "(Training > Settings), which changes with it")
        self.batch.setKeyboardTracking(False)
        self.batch.valueChanged.connect(self._batch_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.problems)
        layout.addWidget(self.totals)
        layout.addWidget(self.batch)

    def show_analysis(self, analysis: Analysis) -> None:
        self.analysis = analysis
        errors = [issue for issue in analysis.issues if issue.severity == "error"]
        if errors:
            first = errors[0]
            text = f"⚠ {len(errors)} problem{'s' if len(errors) != 1 else ''}"
            self.problems.setText(f"<a href='{first.node or ''}' style='color:#d9342b'>{text}</a>")
            self.problems.setToolTip("\n".join(str(issue) for issue in errors[:15]))
        self.problems.setVisible(bool(errors))
        memory = analysis.activation_bytes(self.batch.value())
        self.totals.setText(f"{analysis.total_params:,} parameters · {count_text(analysis.total_macs)} "
                            f"multiply-adds · activations {bytes_text(memory)}")
        self.totals.setToolTip(f"{analysis.trainable_params:,} trainable parameters; multiply-adds per "
                               "sample; activation memory of one forward pass at this batch size (float32)")

    def follow_batch(self, box: QSpinBox) -> None:
        """Estimate at ``box``'s batch size (the training batch size), and set it when edited here."""
        self.set_batch_size(box.value())
        box.valueChanged.connect(self.set_batch_size)
        self.sigBatchChanged.connect(box.setValue)

    def set_batch_size(self, value: int) -> None:
        """Estimate at ``value`` (no sigBatchChanged: the change came from elsewhere)."""
        self.batch.blockSignals(True)
        self.batch.setValue(value)
        self.batch.blockSignals(False)
        if self.analysis is not None:
            self.show_analysis(self.analysis)

    def _batch_changed(self, value: int) -> None:
        if self.analysis is not None:
            self.show_analysis(self.analysis)
        self.sigBatchChanged.emit(value)
