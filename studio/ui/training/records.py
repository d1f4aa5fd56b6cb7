"""One path from training reports to curves: an engine event of this process and a ``metrics.jsonl``
record of any run (command line, torchrun) become the same record dict, and :func:`add_record` puts
it into a run's :class:`RunCurves`."""

from __future__ import annotations

import dataclasses
from typing import Any

from studio.engine.training import EpochEvent, EvalEvent, StepEvent
from studio.ui.training.buffers import RunCurves

KINDS = {StepEvent: "step", EpochEvent: "epoch", EvalEvent: "eval"}


def event_record(event: Any) -> dict[str, Any] | None:
    """The ``metrics.jsonl`` record the run writer logs for ``event`` (None for other events)."""
    kind = KINDS.get(type(event))
    if kind is None:
        return None
    return {"kind": kind, **dataclasses.asdict(event)}


def add_record(curves: RunCurves, record: dict[str, Any]) -> None:
    """Add the values of one record: train loss, lr and throughput of a step; its ``metrics`` (an
    evaluation's ``val/loss``, ``val/accuracy``, ...; ``train/accuracy`` of a step). A ``resume``
    record drops the points after the step the run went back to."""
    kind, step = record.get("kind"), _number(record.get("step"))
    if step is None or kind not in ("step", "epoch", "eval", "resume"):
        return
    if kind == "resume":
        curves.truncate(step)
        return
    epoch = _number(record.get("epoch")) or 0.0
    if kind == "step":
        for name, key in (("train/loss", "loss"), ("lr", "lr"), ("images_per_s", "images_per_s")):
            value = _number(record.get(key))
            if value is not None:
                curves.add(name, step, epoch, value)
    for name, value in (record.get("metrics") or {}).items():
        number = _number(value)
        if number is not None:
            curves.add(name, step, epoch, number)


def _number(value: Any) -> float | None:
    """A float for JSON numbers (NaN/inf included), None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
