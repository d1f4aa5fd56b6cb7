"""Reading a run directory, possibly while another process writes it (the GUI's view of a run).

    reader = RunReader("runs/small_cnn-20260101-120000")
    reader.records()                                 # the run's metrics, each step once
    records, offset = reader.read_metrics()          # raw, to follow: later reader.read_metrics(offset)
    reader.status().state, reader.checkpoints()

A resumed run repeats the steps after its checkpoint, so ``metrics.jsonl`` holds them twice; the
``resume`` record between them says from which step. :func:`drop_redone` keeps the last record of
each step (what ``records()`` returns); a follower reading a little at a time does the same by dropping
its points after a ``resume`` record's step when one arrives (the training panel's curves do).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.checkpoints import CheckpointInfo, CheckpointStore
from studio.engine.errors import SpecError, StudioError
from studio.engine.jsonio import parse_json, read_json
from studio.engine.runs import layout
from studio.engine.spec.io import load_spec
from studio.engine.spec.model import ModelSpec


@dataclass(frozen=True)
class RunStatus:
    """``status.json``: ``state`` preparing | running | paused | finished | failed; ``reason`` says why
    a run finished (completed, stopped, early stopping, interrupted by SIGINT/SIGTERM) or failed."""

    state: str
    step: int = 0
    total_steps: int | None = None
    epoch: float = 0.0
    pid: int | None = None
    host: str | None = None
    heartbeat: float = 0.0
    started: float = 0.0
    reason: str | None = None
    device: str | None = None
    world_size: int = 1
    last_checkpoint: str | None = None
    best_checkpoint: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.state in layout.ACTIVE_STATES

    def seconds_since_heartbeat(self) -> float:
        return max(0.0, time.time() - self.heartbeat)


class RunReader:
    """Read-only access to a run directory; every method tolerates files that do not exist yet."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def status(self) -> RunStatus | None:
        data = self._json(layout.STATUS)
        if not isinstance(data, dict) or "state" not in data:
            return None
        known = {f for f in RunStatus.__dataclass_fields__}
        return RunStatus(**{k: v for k, v in data.items() if k in known})

    def read_metrics(self, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Complete records from byte ``offset`` on, and the offset to read from next time."""
        try:
            with open(self.directory / layout.METRICS, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except OSError:
            return [], offset
        end = data.rfind(b"\n") + 1  # a line still being written is left for the next call
        records = []
        for line in data[:end].splitlines():
            try:
                record = parse_json(line, "a metrics record")
            except StudioError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records, offset + end

    def records(self) -> list[dict[str, Any]]:
        """Every complete metrics record, without those a resume redid (see :func:`drop_redone`)."""
        return drop_redone(self.read_metrics()[0])

    def config(self) -> dict[str, Any] | None:
        return self._json(layout.CONFIG)

    def data_report(self) -> dict[str, Any] | None:
        return self._json(layout.DATA_REPORT)

    def spec(self) -> ModelSpec | None:
        try:
            return load_spec(self.directory / layout.SPEC)
        except SpecError:
            return None

    def checkpoints(self) -> list[CheckpointInfo]:
        return CheckpointStore(self.directory / layout.CHECKPOINTS).list()

    def is_alive(self, stale_seconds: float = 60.0) -> bool:
        """True while the writer seems to be running: an active state with a fresh heartbeat (and,
        on this host, a living process)."""
        status = self.status()
        if status is None or not status.active or status.seconds_since_heartbeat() > stale_seconds:
            return False
        if status.pid and status.host == socket.gethostname():
            try:
                os.kill(status.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
        return True

    def _json(self, name: str) -> Any:
        try:
            return read_json(self.directory / name)
        except StudioError:
            return None


def drop_redone(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` in order, less those a later ``resume`` record supersedes: a run resumed from the
    checkpoint of step S logs steps S+1... again, so the records after S logged before the resume
    (step, epoch and eval records, an earlier resume past S) are dropped and each step keeps its last."""
    kept: list[dict[str, Any]] = []
    for record in records:
        step = _step(record)
        if record.get("kind") == "resume" and step is not None:
            kept = [r for r in kept if (_step(r) or 0) <= step]
        kept.append(record)
    return kept


def _step(record: dict[str, Any]) -> float | None:
    step = record.get("step")
    return step if isinstance(step, int | float) and not isinstance(step, bool) else None
