"""Per-image predictions of a checkpoint, computed by the engine in a worker (decoding the images
and running the model take seconds on large folders)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from studio.engine.training.predictions import predict_run
from studio.ui.workers import Job


class PredictionsRunner(QObject):
    """One predictions job at a time; ``start`` while one runs is ignored (returns None)."""

    sigResult = Signal(object)  # Predictions
    sigFailed = Signal(object)  # JobFailure
    sigProgress = Signal(str, int, int)  # stage, done, total

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job: Job | None = None

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.running

    def start(self, run_dir: Path, data_root: str | None = None, checkpoint: str | None = None) -> Job | None:
        """Predict with ``checkpoint`` (default: the run's best) on the run's validation split or on
        the images of ``data_root``."""
        if self.busy:
            return None

        def work(report):
            return predict_run(run_dir, data_root, checkpoint=checkpoint, device="auto",
                               progress=lambda stage, done, total: report((stage, done, total)))

        self.job = Job(work, name="predictions", parent=self)
        self.job.sigEvents.connect(lambda events: self.sigProgress.emit(*events[-1]))
        self.job.sigFinished.connect(self.sigResult)
        self.job.sigFailed.connect(self.sigFailed)
        self.job.start()
        return self.job
