"""The training panel: data, settings, Train/Pause/Resume/Stop with progress, live curves, results and
the runs list. It drives the engine (Trainer, predictions, run directories) and shows what it reports.

Plugged into the main window through :func:`create_panel` (see :mod:`studio.ui.panels`);
``open_run(path)`` follows a run directory (``studio gui --panel training --run DIR``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.engine.errors import StudioError
from studio.engine.training import (
    TrainConfig,
)
from studio.engine.training.session import input_shape_of
from studio.ui.editing import GraphEditor
from studio.ui.panels import Panel
from studio.ui.run_watch import WatchedRun
from studio.ui.scrolling import VerticalScroll
from studio.ui.training import project_settings as ps
from studio.ui.training.buffers import RunCurves
from studio.ui.training.curves import CurvesView
from studio.ui.training.data_facts import DataFactsWatch
from studio.ui.training.data_page import DataPage
from studio.ui.training.messages import MessageBar, advise
from studio.ui.training.model_check import ModelCheck
from studio.ui.training.progress_view import ProgressView
from studio.ui.training.records import add_record
from studio.ui.training.results_view import ResultsView
from studio.ui.training.run_control import TrainingRun
from studio.ui.training.run_controller import STOP_WAIT_SECONDS, RunController
from studio.ui.training.runs_list import RunsList
from studio.ui.training.runs_pane import RunsPane
from studio.ui.training.settings_form import SettingsForm
from studio.ui.workers import JobFailure

RUNS_WIDTH = 330  # the least width of the runs list: a run name reads "small_cnn-2026…-195910"


class TrainingPanel(QWidget, Panel):
    """Click-to-train on the window's project (``document``: spec, training settings, runs)."""

    sigRunEnded = Signal(object)  # TrainResult or JobFailure of a run started here
    shows_runs = True

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = RunController(self)
        self._loading = False
        self._project = None  # the project shown (a new one is loaded when the document replaces it)
        self.messages = MessageBar()
        self.train_button = QPushButton("▶ Train")
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("■ Stop")
        self.train_button.setToolTip("Train the model on the canvas with the Data and Settings pages")
        self.stop_button.setToolTip("Save a checkpoint and stop")
        self.progress = ProgressView()
        self.state_label = QLabel()
        self.stale_label = QLabel()
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet("color: #b8860b;")
        self.data_page = DataPage(self._model_input_shape)
        self.model_check = ModelCheck()
        self.settings_form = SettingsForm()
        self.curves = CurvesView()
        self.results = ResultsView()
        self.runs_list = RunsList()
        document.runs.keep_curves(RunCurves, add_record)  # the window's runs, with their curves
        self.runs = RunsPane(self.runs_list, document.runs, self)
        self.runs.busy_runs = document.busy_runs  # (one set: a save never moves a run training here)
        self.tabs = QTabWidget()
        settings_scroll = VerticalScroll(self.settings_form)  # up and down only: its boxes reflow
        for widget, title in ((self.data_page, "Data"), (settings_scroll, "Settings"),
                              (self.curves, "Curves"), (self.results, "Results")):
            self.tabs.addTab(widget, title)
        self.facts = DataFactsWatch(document, self._data_config_or_none, self._losses, self)
        self._layout()
        self._connect()
        self.load_project()
        self._set_state("idle")

    def _layout(self) -> None:
        controls = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.resume_button, self.stop_button):
            controls.addWidget(button)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.state_label)
        runs_box = QWidget()
        runs_layout = QVBoxLayout(runs_box)
        runs_layout.setContentsMargins(0, 0, 0, 0)
        runs_layout.addWidget(QLabel("<b>Runs</b> (select several to compare)"))
        runs_layout.addWidget(self.runs_list, 1)
        runs_box.setMinimumWidth(RUNS_WIDTH)  # the pages never squeeze run names to "sm…10"
        splitter = QSplitter()
        splitter.addWidget(runs_box)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([370, 1040])  # the run names elide in the middle; the pages need the room
        layout = QVBoxLayout(self)
        layout.addWidget(self.messages)
        layout.addLayout(controls)
        layout.addWidget(self.model_check)
        layout.addWidget(self.stale_label)
        layout.addWidget(splitter, 1)
        self.stale_label.hide()

    def _connect(self) -> None:
        self.train_button.clicked.connect(lambda: self.train())
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.data_page.form.demo_button.clicked.connect(self.use_demo_data)
        self.data_page.form.sigChanged.connect(self.save_settings)
        self.data_page.form.sigChanged.connect(lambda: self.messages.forget("data"))
        self.data_page.form.sigChanged.connect(self.facts.changed)
        self.data_page.sigChecked.connect(self._data_checked)
        self.settings_form.sigChanged.connect(self.save_settings)
        self.settings_form.sigChanged.connect(lambda: self.messages.forget("settings"))
        self.settings_form.sigChanged.connect(self.facts.refresh)  # (the outputs a loss trains)
        self.model_check.sigFix.connect(self.apply_fix)
        self.document.sigAnalysed.connect(self._analysed)
        self.runs_list.sigSelection.connect(self.show_runs)
        self.runs_list.sigResume.connect(self.resume_run)
        self.runs.sigMessage.connect(self.messages.show_info)
        self.runs.sigRemoved.connect(self._run_removed)
        self.runs.watcher.sigUpdated.connect(self._runs_updated)
        self.results.sigReady.connect(self._predictions_ready)
        self.results.sigFailed.connect(self._show_failure)
        self.results.sigProgress.connect(self.progress.preparing)
        self.results.sigMessage.connect(self.messages.show_info)
        self.document.sigFileChanged.connect(self._document_changed)
        self.document.sigModelChanged.connect(self._model_changed)
        self.document.sigRunsMoved.connect(self._runs_moved)
        self.document.sigTrainingChanged.connect(self.load_project)  # e.g. "Fine-tune from here"
        self.document.sigShowPredictions.connect(self.show_predictions)

    # ---- project ---------------------------------------------------------------------------------
    def load_project(self) -> None:
        """Show the project's settings and runs (on start and when another project is opened)."""
        self._project = self.document.project
        self.messages.clear()  # they were about the project shown before
        self.data_page.messages.clear()
        self._loading = True
        config, warning = ps.config_from_project(self.document.project, self.document.path)
        self.data_page.set_configs(config.data, config.augment)
        self.settings_form.set_config(config)
        self._loading = False
        if warning:
            self.messages.show_warning(warning, about=("settings",))
        self.facts.refresh(force=True)  # what the project's data folder gives the model
        self._analysed(self.document.analysis)
        self.runs.watcher.poll()  # (the document follows the project's runs; the list shows them)

    def config(self) -> TrainConfig:
        """The configuration of the Data and Settings pages (StudioError when a value is invalid)."""
        return dataclasses.replace(self.settings_form.config(), data=self.data_page.data_config(),
                                   augment=self.data_page.augment_config())

    def _data_config_or_none(self):
        try:
            return self.data_page.data_config()
        except StudioError:
            return None  # the form says what is wrong

    def _losses(self):
        return self.settings_form.config().losses

    def _model_input_shape(self) -> tuple[int, ...] | None:
        """The shape the model takes: its input's own; None when it is left to the data's."""
        inputs = self.document.spec.input_nodes()
        if len(inputs) == 1 and inputs[0].args.get("shape") is None:
            return None
        return input_shape_of(self.document.spec)

    def _analysed(self, analysis) -> None:
        """Train waits for a model that can train on this data: the reason and its fix in place."""
        self.model_check.show_analysis(analysis)
        self._update_train_button()

    def _update_train_button(self) -> None:
        active = self.run is not None and self.run.active
        self.train_button.setEnabled(not active and not self.model_check.blocked)
        self.train_button.setToolTip(self.model_check.reason() or "Train the model on the canvas with the "
                                     "Data and Settings pages")

    def apply_fix(self, fix) -> None:
        """Make the edit a problem offers (one undo step on the canvas's stack)."""
        try:
            GraphEditor(self.document).set_arg(fix.node, fix.arg, fix.value)
        except StudioError as exc:
            self.messages.show_warning(str(exc), about=("model",))

    def save_settings(self) -> None:
        """Keep the settings in the project (saved with it)."""
        if self._loading:
            return
        try:
            config = self.config()
        except StudioError:
            return  # the form shows what is wrong; the project keeps the last valid settings
        if ps.store_config(self.document.project, config):
            self.document.mark_modified()

    def use_demo_data(self) -> None:
        from studio.engine.demo import demo_data_dir

        try:
            self.data_page.form.folder.setText(str(demo_data_dir()))
        except StudioError as exc:
            self.messages.show_warning(str(exc))

    def _document_changed(self) -> None:
        if self._project is not self.document.project:  # opened or new, not merely saved
            self.load_project()

    def _data_checked(self, data) -> None:
        self.settings_form.set_train_size(len(data.train))
        self.messages.forget("data")

    def _model_changed(self) -> None:
        self.data_page.model_changed()
        if self.run is None or not self.run.active:  # a run's warnings stay true while it trains
            self.messages.forget("model")
        else:
            self.stale_label.setText("⚠ The model was edited after this run started: the run goes on with "
                                     "the model as it was when Train was pressed (saved in its run folder).")
            self.stale_label.show()

    # ---- training (studio.ui.training.run_controller) --------------------------------------------
    @property
    def run(self) -> TrainingRun | None:
        """The last run started here (None before)."""
        return self.controller.run

    def train(self, resume_from: Path | None = None) -> TrainingRun | None:
        """Start training the canvas model (or resume run ``resume_from``); None with a message when
        the settings cannot be used."""
        return self.controller.train(resume_from)

    def pause(self) -> None:
        self.controller.pause()

    def resume(self) -> None:
        self.controller.resume()

    def stop(self) -> None:
        self.controller.stop()

    def resume_run(self, path: Path) -> TrainingRun | None:
        """Go on training run ``path`` from its latest checkpoint."""
        return self.controller.resume_run(path)

    def _set_state(self, state: str) -> None:
        active = state in ("preparing", "running", "paused", "stopping")
        self.train_button.setEnabled(not active and not self.model_check.blocked)
        self.pause_button.setEnabled(state == "running")
        self.resume_button.setEnabled(state == "paused")
        self.stop_button.setEnabled(state in ("preparing", "running", "paused"))
        self.runs_list.resume_button.setEnabled(not active)
        self.state_label.setText(state if state != "idle" else "")
        if state == "paused":
            self.progress.paused()

    def _show_failure(self, failure: JobFailure) -> None:
        self.messages.show_advice(advise(failure.message, failure.exception, failure.user_error,
                                         failure.details))

    # ---- runs ------------------------------------------------------------------------------------
    def open_run(self, path: str | Path) -> WatchedRun:
        """Follow run directory ``path`` (live while it runs) and show its curves and results."""
        run = self.runs.open(path)
        self.show_runs([run.path])
        self.tabs.setCurrentWidget(self.curves)
        return run

    def show_runs(self, paths: list[Path]) -> None:
        """Curves of the selected runs (several: overlaid); one run also shows its report and results."""
        runs = [run for path in paths if (run := self.runs.watcher.get(path)) is not None]
        self.curves.set_runs([(run.name, run.curves) for run in runs])
        if len(runs) == 1:
            self._show_run_details(runs[0])

    def _show_run_details(self, run: WatchedRun) -> None:
        self.results.set_run(run.path)
        if run.report:
            self.data_page.show_run_report(run, (run.config or {}).get("data") or {})
        if run.last_eval is not None:
            self.results.show_metrics(run.class_names, run.last_eval.get("metrics") or {},
                                      run.last_eval.get("details") or {},
                                      f"{run.name}: validation at step {run.last_eval.get('step', 0):,}")
        if run.status is not None and not run.live:
            total = run.status.total_steps
            self.progress.idle(f"{run.name}: {run.status.state} at step {run.status.step:,}"
                               + (f"/{total:,}" if total else ""))
            if total:
                self.progress.setRange(0, total)
                self.progress.setValue(min(run.status.step, total))

    def _runs_updated(self, paths: list[Path]) -> None:
        self.curves.schedule_redraw()
        selected = self.runs_list.selected()
        if any(path in selected for path in paths) and len(selected) == 1:
            run = self.runs.watcher.get(selected[0])
            if run is not None and not run.live and run.last_eval is not None:
                self._show_run_details(run)

    def _runs_moved(self, moved: dict[Path, Path], sentence: str | None) -> None:
        """Runs went into the project's folder (a save): the list followed them (selection kept)."""
        if moved:
            self.show_runs(self.runs_list.selected())
        if sentence:
            self.messages.show_info(sentence)

    def show_predictions(self, predictions) -> None:
        """Per-image predictions (e.g. of points selected in the projector) in the Results page."""
        self.results.show_predictions(predictions)
        self.tabs.setCurrentWidget(self.results)

    def _run_removed(self, path: Path) -> None:
        if ps.forget_run(self.document.project, self.document.path, path):
            self.document.mark_modified()
        self.show_runs(self.runs_list.selected())

    def _predictions_ready(self, predictions) -> None:
        if self.run is None or not self.run.active:
            subject = self.results.predictions_subject(predictions, short=True)
            self.progress.idle(f"images per cell ready: {subject}, accuracy {predictions.accuracy:.1%}")

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """Finish background work now (a screenshot is about to be taken): predictions, curves."""
        done = True
        for job in (self.results.predictor.job, self.data_page.samples_job):
            if job is not None and job.running:
                done = job.wait(timeout) and done
                job.flush()
        self.curves.redraw()
        return done

    # ---- closing ---------------------------------------------------------------------------------
    def confirm_close(self) -> bool:
        """Called when the window closes: while training, ask; then stop with a checkpoint and wait.
        Per-image predictions still running are waited for too (torch must not be mid-call at exit)."""
        predictions = self.results.predictor.job
        if predictions is not None and predictions.running:
            predictions.wait(STOP_WAIT_SECONDS)
        if self.run is None or not self.run.active:
            return True
        if not self.ask_stop_on_close():
            return False
        self.controller.stop_and_wait()
        return True

    # ---- dialogs (tests replace these) -----------------------------------------------------------
    def ask_stop_on_close(self) -> bool:
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(self, "Training is running",
                                      "A run is training. Stop it (saving a checkpoint) and close?",
                                      buttons.Yes | buttons.Cancel, buttons.Cancel)
        return answer == buttons.Yes

    def ask_more_epochs(self, run_name: str) -> float | None:
        value, ok = QInputDialog.getDouble(self, "Resume", f"{run_name} has finished its budget. "
                                           "Train how many more epochs?", 5.0, 0.1, 1e5, 1)
        return value if ok else None


def create_panel(window) -> TrainingPanel:
    """The training panel of ``window`` (the main window's panel seam); the status bar's memory
    estimate is at this panel's batch size (one batch size: editing either changes both)."""
    panel = TrainingPanel(window.document, window)
    window.status_line.follow_batch(panel.settings_form.batch_size)
    return panel
