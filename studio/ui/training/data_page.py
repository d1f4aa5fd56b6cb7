"""The Data page: choose the images, check them (the engine decodes them in a worker and reports), see
the report and an augmentation preview before training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.engine.data import AugmentConfig, DataConfig, ImageData, prepare_image_data
from studio.engine.data.facts import data_facts
from studio.ui.scrolling import VerticalScroll
from studio.ui.training.augment_preview import AugmentPreview
from studio.ui.training.data_form import DataForm
from studio.ui.training.messages import MessageBar, advise
from studio.ui.training.report_view import ReportView
from studio.ui.training.samples import data_samples, folder_samples, pixmaps
from studio.ui.workers import Job, JobFailure


class DataPage(QWidget):
    """Data form + Check data + report + augmentation preview. ``input_shape`` gives the model's
    per-sample input shape (from the spec) when a check starts; None: the data's (its images')."""

    sigChecked = Signal(object)  # ImageData of a successful check

    def __init__(self, input_shape: Callable[[], tuple[int, ...] | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._input_shape = input_shape
        self.data: ImageData | None = None
        self.checked: tuple[DataConfig, tuple[int, ...]] | None = None  # what the shown check is of
        self.job: Job | None = None
        self.samples_job: Job | None = None
        self.form = DataForm()
        self.check_button = QPushButton("Check data")
        self.check_button.setToolTip("Scan and decode the images as training will, and show the report")
        self.check_button.clicked.connect(self.check)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.messages = MessageBar()
        self.preview = AugmentPreview()
        self.report_view = ReportView()
        self.form.sigChanged.connect(self._form_changed)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.progress, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(self.form)
        left_layout.addLayout(check_row)
        preview_box = QGroupBox("Augmentation preview")
        QVBoxLayout(preview_box).addWidget(self.preview)
        left_layout.addWidget(preview_box)
        left_layout.addStretch(1)
        scroll = VerticalScroll(left)  # never narrower than the form: nothing cut, no sideways scrolling
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(self.report_view)
        splitter.setStretchFactor(1, 1)  # the form keeps its width, the report takes the rest
        splitter.setSizes([440, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.messages)
        layout.addWidget(splitter, 1)

    # ---- configs ---------------------------------------------------------------------------------
    def set_configs(self, data: DataConfig, augment: AugmentConfig) -> None:
        self.form.set_configs(data, augment)

    def data_config(self) -> DataConfig:
        return self.form.data_config()

    def augment_config(self) -> AugmentConfig:
        return self.form.augment_config()

    # ---- check -----------------------------------------------------------------------------------
    def check(self) -> Job | None:
        """Decode and report the chosen data in a worker (None when the form itself is invalid)."""
        if self.job is not None and self.job.running:
            return self.job
        self.messages.clear()
        try:
            config = self.form.data_config()
            shape = self._input_shape()
        except Exception as exc:  # noqa: BLE001 - shown to the user, see advise()
            self._failed(JobFailure(str(exc), True, exc, ""))
            return None

        self._checking = (config, tuple(shape) if shape is not None else None)

        def work(report):
            size = shape if shape is not None else data_facts(config).required_shape()  # (as training)
            return prepare_image_data(config, size,
                                      progress=lambda stage, done, total: report((stage, done, total)))

        self.job = Job(work, name="data-check", parent=self)
        self.job.sigEvents.connect(self._progress)
        self.job.sigFinished.connect(self._checked)
        self.job.sigFailed.connect(self._failed)
        self.check_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setFormat("scanning…")
        self.progress.show()
        self.job.start()
        return self.job

    def _progress(self, events: list) -> None:
        stage, done, total = events[-1]
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{stage} %v / %m")

    def _checked(self, data: ImageData) -> None:
        self._end_job()
        self._drop_data()
        self.data, self.checked = data, self._checking
        self.messages.forget("data", "model")  # decoded as this model takes it: both were fine
        self.report_view.show_report(data.report.to_dict(), pixmaps(data_samples(data)),
                                     f"Check of {data.report.root}")
        self.preview.set_data(data)
        self.preview.set_config(self.form.augment_config())
        if self.checked != self._current():  # edited while it decoded: it describes the old choices
            self._data_changed()
        self.sigChecked.emit(data)

    def _failed(self, failure: JobFailure) -> None:
        self._end_job()
        advice = advise(failure.message, failure.exception, failure.user_error, failure.details)
        self.messages.show_advice(advice)
        self._drop_data()  # a report beside the error would describe other data than the form's
        folder = self.form.folder.text()
        self.report_view.clear_report(f"No report: the check of {Path(folder).name or folder or 'the data'} "
                                      "failed (the message above says why).")

    def _drop_data(self) -> None:
        """Forget the checked data (its report, preview and decoded images)."""
        if self.data is not None:
            self.data.close()
        self.data, self.checked = None, None
        self.preview.set_data(None)

    def _end_job(self) -> None:
        self.check_button.setEnabled(True)
        self.progress.hide()

    def _form_changed(self) -> None:
        self.messages.forget("data")
        try:
            self.preview.set_config(self.form.augment_config())
        except Exception as exc:  # noqa: BLE001 - an invalid value while typing
            self.messages.show_warning(str(exc), about=("data",))
        if self.checked is not None and self.checked != self._current():
            self._data_changed()

    def model_changed(self) -> None:
        """The model was edited: messages about it go; a check decoded for another input is dropped."""
        self.messages.forget("model")
        if self.checked is not None and self.checked[1] != self._current()[1]:
            self._drop_data()
            self.report_view.clear_report("The model's input changed since the last check: press Check data "
                                          "to decode the images for it.")

    def _data_changed(self) -> None:
        self._drop_data()
        self.report_view.clear_report("The data choices changed since the last check: press Check data to "
                                      "see what Studio will train on.")

    def _current(self) -> tuple[DataConfig | None, tuple[int, ...] | None]:
        """(data config, model input shape) the form and the model describe now (None: invalid)."""
        try:
            config = self.form.data_config()
        except Exception:  # noqa: BLE001 - an invalid label rule: not what was checked
            config = None
        try:
            shape = self._input_shape()
            shape = tuple(shape) if shape is not None else None
        except Exception:  # noqa: BLE001 - a model without a usable input: not what was checked
            shape = None
        return config, shape

    def show_run_report(self, run, data_config: dict) -> None:
        """The data report of a run (a :class:`WatchedRun`), unless the page shows a check of the same
        folder; its thumbnails are read from the folder in a worker the first time."""
        report = run.report
        if self.report_view.report is report or (self.data is not None
                                                   and self.data.report.root == report.get("root")):
            return
        self.report_view.show_report(report, pixmaps(run.samples or []), f"Data of run {run.name}")
        if run.samples is None:
            run.samples = []  # being read
            names, shape = report.get("class_names", []), report.get("input_shape")
            self.samples_job = Job(lambda _report: folder_samples(data_config, names, shape),
                                   name="thumbnails", parent=self)
            self.samples_job.sigFinished.connect(lambda samples: self._samples_ready(run, samples))
            self.samples_job.start()

    def _samples_ready(self, run, samples: list) -> None:
        run.samples = samples
        if self.report_view.report is run.report:
            self.report_view.show_thumbnails(pixmaps(samples))
