"""What a trainer reports: frozen dataclasses of plain values (safe to hand to another thread).

A callback is any callable taking one event; the GUI turns them into Qt signals, the command line
into a progress bar, the run writer into files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProgressEvent:
    """Preparation progress: ``stage`` (e.g. "decoding") ``done`` of ``total``."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class StateEvent:
    """The trainer's state changed: preparing, running, paused, stopping, finished, failed."""

    state: str
    step: int = 0
    total_steps: int | None = None


@dataclass(frozen=True)
class DataReportEvent:
    """The data report is ready (``report`` is DataReport.to_dict())."""

    report: dict[str, Any]


@dataclass(frozen=True)
class StepEvent:
    """Training progress, every ``log_every`` steps: mean loss (and parts) and, for a classifier, the
    accuracy on the training batches since the last one."""

    step: int
    epoch: float
    loss: float
    losses: dict[str, float]
    lr: float
    images_per_s: float
    metrics: dict[str, float] = field(default_factory=dict)  # train/accuracy of classification heads


@dataclass(frozen=True)
class EpochEvent:
    """An epoch ended: ``epoch`` is the number of epochs completed."""

    epoch: int
    step: int
    loss: float
    seconds: float
    images_per_s: float


@dataclass(frozen=True)
class EvalEvent:
    """Validation metrics (``val/accuracy``, ``val/loss``, ...) and details (per class, confusion)."""

    step: int
    epoch: float
    metrics: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckpointEvent:
    """A checkpoint was saved (``reason``: scheduled, eval, final, stopped)."""

    step: int
    path: str
    reason: str
    is_best: bool


@dataclass(frozen=True)
class WarningEvent:
    message: str


@dataclass(frozen=True)
class FinishedEvent:
    """Training ended normally; ``reason``: completed, stopped or early stopping."""

    step: int
    epoch: float
    reason: str
    metrics: dict[str, float]
    last_checkpoint: str | None
    best_checkpoint: str | None
    seconds: float


@dataclass(frozen=True)
class FailedEvent:
    """Training could not go on; ``reason`` is a message for the user, ``kind`` what failed (one of
    ``studio.engine.training.failures.FAILURE_KINDS``: "data", "nan", "out_of_memory", ...)."""

    reason: str
    step: int
    last_checkpoint: str | None
    kind: str


Event = (ProgressEvent | StateEvent | DataReportEvent | StepEvent | EpochEvent | EvalEvent | CheckpointEvent
         | WarningEvent | FinishedEvent | FailedEvent)
Callback = Callable[[Event], None]
