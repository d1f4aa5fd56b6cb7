"""A training run started from the GUI: the engine's Trainer in a worker :class:`Job`.

The trainer's callback only queues its (frozen, plain) events; the GUI gets them in batches at most
20 times a second. Pause, resume and stop are the trainer's own thread-safe flags; stopping saves a
checkpoint first. Heavy preparation (decoding, building the model) happens in the worker too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.engine.spec.model import ModelSpec
from studio.engine.training import FailedEvent, StateEvent, TrainConfig, Trainer, TrainResult
from studio.engine.training.failures import failure_kind
from studio.ui.workers import Job, JobFailure

TRAINING_NICE = 10  # the training thread yields the CPU to the GUI thread (see benchmarks/gui_latency.py)


class TrainingRun(QObject):
    """One run of ``spec`` under ``config`` into ``run_dir`` (``resume``: a checkpoint or run to go on
    from). ``state`` follows the trainer: idle, preparing, running, paused, stopping, finished, failed."""

    sigEvents = Signal(list)  # engine events since the last batch
    sigState = Signal(str)  # new state
    sigEnded = Signal(object)  # TrainResult (finished or failed), or JobFailure when the worker crashed

    def __init__(self, spec: ModelSpec, config: TrainConfig, run_dir: str | Path, resume: Any = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run_dir = Path(run_dir)
        self.config = config
        self.state = "idle"
        self.result: TrainResult | JobFailure | None = None
        self.trainer = Trainer(spec, config, run_dir=self.run_dir, resume=resume)
        self.job = Job(self._work, name="training", parent=self, nice=TRAINING_NICE)
        self.job.sigEvents.connect(self._on_events)
        self.job.sigFinished.connect(self._on_finished)
        self.job.sigFailed.connect(self._on_failed)

    def _work(self, report) -> TrainResult:
        self.trainer.callbacks.append(report)
        return self.trainer.run()

    # ---- control (GUI thread) --------------------------------------------------------------------
    def start(self) -> None:
        self._set_state("preparing")
        self.job.start()

    def pause(self) -> None:
        self.trainer.pause()

    def resume(self) -> None:
        self.trainer.resume()

    def stop(self) -> None:
        """Ask the trainer to save a checkpoint and stop before its next step."""
        if self.active:
            self.trainer.stop()
            self._set_state("stopping")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker ended (then deliver what it reported); False on timeout."""
        ended = self.job.wait(timeout)
        if ended:
            self.job.flush()
        return ended

    @property
    def active(self) -> bool:
        return self.state in ("preparing", "running", "paused", "stopping")

    @property
    def total_steps(self) -> int | None:
        """Steps of the whole run, known once the trainer has prepared."""
        session = self.trainer.session
        return session.total_steps if session is not None else None

    @property
    def steps_per_epoch(self) -> int | None:
        session = self.trainer.session
        return session.steps_per_epoch if session is not None else None

    # ---- reports ---------------------------------------------------------------------------------
    def _on_events(self, events: list) -> None:
        for event in events:
            if isinstance(event, StateEvent) and not (self.state == "stopping" and event.state == "running"):
                self._set_state(event.state)
        self.sigEvents.emit(events)

    def _on_finished(self, result: TrainResult) -> None:
        self.result = result
        self._set_state(result.status)
        self.sigEnded.emit(result)

    def _on_failed(self, failure: JobFailure) -> None:
        self.result = failure
        kind = failure_kind(failure.exception) if failure.user_error else "internal"
        trainer = self.trainer
        self.sigEvents.emit([FailedEvent(failure.message, trainer.step, trainer.last_checkpoint, kind)])
        self._set_state("failed")
        self.sigEnded.emit(failure)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.sigState.emit(state)
