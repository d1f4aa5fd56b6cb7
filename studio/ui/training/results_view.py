"""Results of a run: the confusion matrix (a cell opens the images behind it), per-class precision,
recall and F1, and a gallery of misclassified images with predicted and true label and confidence.

It shows either the metrics of the latest evaluation (``show_metrics``: counts only) or the engine's
per-image :class:`Predictions` (``show_predictions``: every cell clickable), which it computes in a
worker for the run set with ``set_run``: its best checkpoint on its validation images (``predict``), or
a chosen checkpoint on another folder (``evaluate``).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from studio.engine.filenames import shown_name
from studio.engine.runs import RunReader
from studio.engine.training.predictions import Predictions
from studio.ui.training import layouts
from studio.ui.training.evaluate_dialog import EvaluateDialog
from studio.ui.training.predict_job import PredictionsRunner
from studio.ui.training.results_widgets import (
    GALLERY_LIMIT,
    ConfusionView,
    Gallery,
    PerClassTable,
    find_detail,
)


class ResultsView(QWidget):
    """Confusion matrix + per-class table + gallery, with the buttons that ask for more."""

    sigMessage = Signal(str)  # something to tell the user
    sigFailed = Signal(object)  # JobFailure of a predictions job
    sigProgress = Signal(str, int, int)  # stage, done, total of a predictions job
    sigReady = Signal(object)  # Predictions this view computed, now shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictions: Predictions | None = None
        self.run_dir: Path | None = None
        self._wanted: tuple[int, int] | None = None  # a cell clicked before the images were known
        self.predictor = PredictionsRunner(self)
        self.predictor.sigResult.connect(self.show_predictions)
        self.predictor.sigResult.connect(self.sigReady)  # computed here (not shown from elsewhere)
        self.predictor.sigFailed.connect(self.sigFailed)
        self.predictor.sigFailed.connect(self._forget_wanted)
        self.predictor.sigProgress.connect(self.sigProgress)
        self.title = QLabel("No results yet: they appear after the first validation.")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)  # escaped once where it is set
        self.predict_button = QPushButton("Show images per cell")
        self.predict_button.setToolTip("Run the best checkpoint on the validation images to see which image "
                                       "landed in which cell")
        self.predict_button.clicked.connect(lambda: self.predict())
        self.evaluate_button = QPushButton("Evaluate checkpoint…")
        self.evaluate_button.clicked.connect(self.evaluate)
        self.confusion = ConfusionView()
        self.confusion.sigCellChosen.connect(self.show_cell)
        self.per_class = PerClassTable()
        self.gallery_title = QLabel("Misclassified images")
        self.gallery_title.setWordWrap(True)  # a long title must not narrow the confusion matrix
        self.all_wrong = QPushButton("All misclassified")
        self.all_wrong.clicked.connect(self.show_misclassified)
        self.gallery = Gallery()
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.predict_button)
        top.addWidget(self.evaluate_button)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(layouts.column(QLabel("Confusion matrix (rows: true class, columns: predicted)"),
                                      self.confusion))
        left.addWidget(self.per_class)
        right = layouts.column(layouts.row(self.gallery_title, self.all_wrong), self.gallery)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._set_clickable(False)

    # ---- which run, and its predictions ----------------------------------------------------------
    def set_run(self, run_dir: Path | None) -> None:
        """The run that Show images per cell and Evaluate checkpoint act on."""
        self.run_dir = run_dir

    def predict(self, run_dir: Path | None = None) -> None:
        """Per-image results of the run's best checkpoint on its validation images (in a worker)."""
        run_dir = run_dir or self.run_dir
        if run_dir is None:
            self.sigMessage.emit("Select a run first")
            return
        self.predictor.start(run_dir)

    def evaluate(self) -> None:
        """Ask for a checkpoint of the run and a folder, then score it there (in a worker)."""
        if self.run_dir is None:
            self.sigMessage.emit("Select a run with checkpoints first")
            return
        choice = self.ask_evaluation(self.run_dir)
        if choice is not None:
            checkpoint, folder = choice
            self.predictor.start(self.run_dir, data_root=folder, checkpoint=checkpoint)

    def ask_evaluation(self, run_dir: Path) -> tuple[str, str] | None:
        """(checkpoint, folder) from a dialog (tests replace this method)."""
        dialog = EvaluateDialog(run_dir, self)
        return dialog.choice() if dialog.exec() else None

    # ---- showing ---------------------------------------------------------------------------------
    def show_metrics(self, class_names: list[str] | tuple[str, ...], metrics: dict[str, float],
                     details: dict[str, Any], title: str) -> None:
        """The counts of an evaluation (no images behind the cells until predictions are computed)."""
        matrix = find_detail(details, "confusion")
        if matrix is None or not class_names:
            return
        self.predictions, self._wanted = None, None
        matrix = np.asarray(matrix, np.int64)
        self.confusion.set_matrix(matrix, class_names)
        n = len(class_names)
        nan = [float("nan")] * n
        self.per_class.set_values(class_names, find_detail(details, "precision_per_class") or nan,
                                  find_detail(details, "recall_per_class") or nan,
                                  find_detail(details, "f1_per_class") or nan, matrix.sum(1))
        self.title.setText(html.escape(title) + _accuracy_text(metrics))
        self.gallery.clear()
        self.gallery_title.setText("Click a cell (or 'Show images per cell') to see the images behind the "
                                   "counts")
        self._set_clickable(False)

    def show_predictions(self, predictions: Predictions) -> None:
        """Per-image results: every cell and the gallery show their images."""
        self.predictions = predictions
        values = predictions.per_class()
        self.confusion.set_matrix(predictions.confusion(), predictions.class_names)
        self.per_class.set_values(predictions.class_names, values["precision"], values["recall"],
                                  values["f1"], values["support"])
        self.title.setText(f"{html.escape(self.predictions_subject(predictions))}, accuracy "
                           f"<b>{predictions.accuracy:.1%}</b>")
        self._set_clickable(True)
        wanted, self._wanted = self._wanted, None
        if wanted is not None and max(wanted) < len(predictions.class_names):
            self.show_cell(*wanted)
        else:
            self.show_misclassified()

    def predictions_subject(self, predictions: Predictions, short: bool = False) -> str:
        """What ``predictions`` are of: "best checkpoint ckpt-… (step 100) on validation split: 1,000
        images" (the run's best is named so: its accuracy is not the final one shown elsewhere);
        ``short``: "best checkpoint (step 100)"."""
        status = RunReader(self.run_dir).status() if self.run_dir is not None else None
        best = status is not None and status.best_checkpoint is not None and \
            Path(status.best_checkpoint).name == Path(predictions.checkpoint).name
        name = "best checkpoint" if short and best else \
            f"{'best checkpoint ' if best else ''}{Path(predictions.checkpoint).stem}"
        return f"{name} (step {predictions.step:,})" + (
            "" if short else f" on {predictions.source}: {len(predictions):,} images")

    def show_cell(self, true: int, predicted: int) -> None:
        """The images of a cell; clicked before they are known, they are computed first."""
        if self.predictions is None:
            if self.run_dir is not None and self.confusion.rowCount():
                self._wanted = (true, predicted)
                self.gallery_title.setText("Finding the images behind the cells (the best checkpoint on the "
                                           "validation images)…")
                self.predict()
            return
        names = [shown_name(name) for name in self.predictions.class_names]
        rows = self.predictions.cell(true, predicted)
        self.gallery_title.setText(f"true {names[true]}, predicted {names[predicted]}: {len(rows)} image(s)"
                                   + (f", first {GALLERY_LIMIT}" if len(rows) > GALLERY_LIMIT else ""))
        self.gallery.show_images(self.predictions, rows)

    def show_misclassified(self) -> None:
        if self.predictions is None:
            return
        rows = self.predictions.misclassified()
        self.gallery_title.setText(f"Misclassified: {len(rows):,} of {len(self.predictions):,} images, most "
                                   "confident first")
        self.gallery.show_images(self.predictions, rows)

    def _forget_wanted(self, *_) -> None:
        self._wanted = None

    def _set_clickable(self, clickable: bool) -> None:
        self.all_wrong.setEnabled(clickable)
        clickable = clickable or self.run_dir is not None  # a click computes the images first
        cursor = Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        self.confusion.setCursor(cursor)


def _accuracy_text(metrics: dict[str, float]) -> str:
    accuracy = next((v for k, v in metrics.items() if k.endswith("accuracy") and "top" not in k), None)
    return f": accuracy <b>{accuracy:.1%}</b>" if accuracy is not None else ""
