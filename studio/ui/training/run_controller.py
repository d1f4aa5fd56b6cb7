"""The training panel's run controller: starting a run (or resuming one) from the panel's settings, its
TrainingRun's events fed to the run's curves and to the panel's views, its end (moves, predictions,
``sigRunEnded`` on the panel and the document), and stopping it when the window closes.

The panel (:mod:`studio.ui.training.panel`) holds the widgets; this object holds the run.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject
from PySide6.QtWidgets import QApplication

from studio.engine.errors import StudioError
from studio.engine.runs import RunReader, new_run_dir
from studio.engine.training import (
    CheckpointEvent,
    DataReportEvent,
    EvalEvent,
    FailedEvent,
    FinishedEvent,
    ProgressEvent,
    StepEvent,
    WarningEvent,
)
from studio.engine.training.fields import to_plain
from studio.ui.training import project_settings as ps
from studio.ui.training.messages import advise, advise_failure
from studio.ui.training.records import event_record
from studio.ui.training.resume import resume_setup
from studio.ui.training.run_control import TrainingRun
from studio.ui.training.settings_form import gui_threads
from studio.ui.workers import JobFailure

STOP_WAIT_SECONDS = 300.0


class RunController(QObject):
    """The run of ``panel`` (a TrainingPanel): ``run`` is the last one started (None before)."""

    def __init__(self, panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.run: TrainingRun | None = None

    @property
    def active(self) -> bool:
        return self.run is not None and self.run.active

    def train(self, resume_from: Path | None = None) -> TrainingRun | None:
        """Start training the canvas model (or resume run ``resume_from``); None with a message when
        the settings cannot be used."""
        if self.run is not None and self.run.active:
            return self.run
        self.panel.messages.clear()
        if resume_from is None and self.panel.model_check.blocked:  # (the button is disabled: scripts too)
            problem = self.panel.model_check.problem
            self.panel.messages.show_advice(advise(problem.message, kind="fit" if problem.fix else "spec"))
            return None
        try:
            if resume_from is None:
                config, spec = self.panel.config(), self.panel.document.spec.copy()
                run_dir = new_run_dir(self.panel.document.runs_folder(create=True), spec.name or "run")
            else:
                config, spec = resume_setup(resume_from, self.panel.ask_more_epochs)
                run_dir = resume_from
        except StudioError as exc:
            self.panel.messages.show_advice(advise(str(exc), exc))
            return None
        if config is None:
            return None
        changed = ps.store_config(self.panel.document.project, config) if resume_from is None else False
        if ps.remember_run(self.panel.document.project, self.panel.document.path, run_dir) or changed:
            self.panel.document.mark_modified()
        if not config.threads:
            config = config.replace(threads=gui_threads())
        self.run = TrainingRun(spec, config, run_dir, resume=resume_from, parent=self.panel)
        self.run.sigEvents.connect(self._on_events)
        self.run.sigState.connect(self.panel._set_state)
        self.run.sigEnded.connect(self._on_ended)
        watched = self.panel.runs.follow(run_dir, live=True)
        self.panel.runs.busy_runs.add(watched.path)
        if resume_from is None:
            watched.curves.clear()
        else:  # steps after the checkpoint it goes on from are trained (and reported) again
            watched.curves.truncate(max(info.step for info in RunReader(run_dir).checkpoints()))
        self.panel.runs_list.select([watched.path])
        self.panel.results.set_run(watched.path)
        self.panel.stale_label.hide()
        self.panel.progress.idle("preparing…")
        self.panel.tabs.setCurrentWidget(self.panel.curves)
        self.run.start()
        return self.run

    def pause(self) -> None:
        if self.run is not None:
            self.run.pause()

    def resume(self) -> None:
        if self.run is not None:
            self.run.resume()

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()

    def resume_run(self, path: Path) -> TrainingRun | None:
        """Go on training run ``path`` from its latest checkpoint."""
        return self.train(resume_from=Path(path))

    def _on_events(self, events: list) -> None:
        watched = self.panel.runs.watcher.get(self.run.run_dir)
        last_step = None
        for event in events:
            record = event_record(event)
            if record is not None:
                watched.apply(record)
            if isinstance(event, StepEvent):
                last_step = event
            elif isinstance(event, ProgressEvent):
                self.panel.progress.preparing(event.stage, event.done, event.total)
            elif isinstance(event, DataReportEvent):
                watched.report = event.report
                self.panel.data_page.show_run_report(watched, to_plain(self.run.config.data))
            elif isinstance(event, EvalEvent):
                self.panel.results.show_metrics(watched.class_names, event.metrics, event.details,
                                                f"{watched.name}: validation at step {event.step:,}")
            elif isinstance(event, CheckpointEvent):
                best = " (best so far)" if event.is_best else ""
                self.panel.state_label.setText(f"checkpoint at step {event.step:,}{best}")
            elif isinstance(event, WarningEvent):
                self.panel.messages.show_warning(event.message)
            elif isinstance(event, FailedEvent):
                self.panel.messages.show_advice(advise_failure(event))  # chosen by its kind
            elif isinstance(event, FinishedEvent):
                self._finished(event)
        if last_step is not None:
            epochs = None if self.run.config.steps else self.run.config.epochs
            self.panel.progress.stepped(last_step.step, last_step.epoch, self.run.total_steps, epochs,
                                        last_step.images_per_s)
            if self.run.state == "paused":
                self.panel.progress.paused()
        self.panel.runs_list.update_run(watched)
        self.panel.curves.schedule_redraw()

    def _finished(self, event: FinishedEvent) -> None:
        accuracy = event.metrics.get("val/accuracy")
        summary = f"Training {event.reason} at step {event.step:,} in {event.seconds:.0f} s"
        if accuracy is not None:  # two numbers that differ say which is which
            summary += f": final validation accuracy {accuracy:.1%}"
            best = self.panel.runs.watcher.get(self.run.run_dir).best_at()
            if best is not None and f"{best[1]:.1%}" != f"{accuracy:.1%}":
                summary += f", best {best[1]:.1%} at step {best[0]:,}"
        self.panel.messages.show_info(summary)
        self.panel.progress.setFormat(summary)
        self.panel.state_label.clear()  # ("checkpoint at step N (best so far)" was news while it trained)

    def _on_ended(self, result) -> None:
        run_dir = self.run.run_dir
        self.panel.runs.watcher.end_live(run_dir)
        self.panel.runs.busy_runs.discard(run_dir.resolve())
        evaluated = self.panel.runs.watcher.get(run_dir).last_eval is not None
        moved = self.panel.document.run_ended(run_dir).get(run_dir.resolve())  # saved while it trained
        if moved is not None:
            run_dir = self.run.run_dir = moved
            if not isinstance(result, JobFailure):
                result = dataclasses.replace(result, run_dir=str(moved))
        if self.run.trainer.resume_from is None and not run_dir.exists():  # failed before step 1: no run
            self.panel.runs.watcher.remove(run_dir)  # (the runs list drops it)
            if ps.forget_run(self.panel.document.project, self.panel.document.path, run_dir):
                self.panel.document.mark_modified()
        self.panel.runs.watcher.poll(everything=True)
        if isinstance(result, JobFailure):
            self.panel._show_failure(result)
        elif result.status == "finished" and evaluated:
            self.panel.results.predict(run_dir)
        self.panel.sigRunEnded.emit(result)
        self.panel.document.sigRunEnded.emit(result)  # (the other panels hear it from the document)

    def stop_and_wait(self) -> None:
        """Stop the active run with a checkpoint and wait for it (the window is closing)."""
        self.run.stop()
        self.panel.progress.idle("stopping: saving a checkpoint…")
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while not self.run.wait(0.05) and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)  # keep painting
