"""The window's runs: the run directories it follows while they run, whoever writes them (this window,
``studio train`` in a terminal, torchrun on a cluster): status, new ``metrics.jsonl`` records, data
report, config and the checkpoint files.

One :class:`RunsWatcher` per window, owned by the document (``document.runs``): the training panel's
runs list and the checkpoint browser both show its runs and listen to its signals. A timer starts one
background read of every followed run at a time; only the new bytes of each metrics file are read (the
engine's :class:`RunReader` keeps partial lines for the next read). ``discover`` gives a search for
the run folders to follow as they appear (the project's runs folder); each poll runs it in its job.

The curves a run's records feed are the training panel's (:meth:`RunsWatcher.keep_curves`): this
module knows no panel.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from studio.engine.runs import RunReader, RunStatus, layout
from studio.engine.runs.labels import RunLabels, read_labels
from studio.ui.workers import Job

POLL_MS = 1000
SLOW_EVERY = 5  # polls between reads of runs that are not expected to change


@dataclass(frozen=True)
class RunUpdate:
    """What one background read found in one run directory."""

    path: Path
    status: RunStatus | None
    records: list[dict[str, Any]] | None  # None: the metrics were not read
    start: int  # the offset the read started from
    offset: int
    labels: RunLabels
    report: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    exists: bool = True
    checkpoints: tuple[str, ...] = ()  # the names in its checkpoint folder


@dataclass
class WatchedRun:
    """The GUI's view of one run directory. ``live`` runs are fed by their trainer's events instead
    of their metrics file. ``curves`` is what the watcher's ``keep_curves`` makes (None without)."""

    path: Path
    curves: Any = None
    add_record: Callable[[Any, dict[str, Any]], None] | None = field(default=None, repr=False)
    status: RunStatus | None = None
    labels: RunLabels = field(default_factory=RunLabels)
    report: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    last_eval: dict[str, Any] | None = None
    samples: list | None = None  # thumbnails' images once read (see samples.folder_samples)
    offset: int = 0
    live: bool = False
    exists: bool = True
    checkpoints: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.labels.name or self.path.name

    @property
    def class_names(self) -> list[str]:
        return list((self.report or {}).get("class_names") or [])

    def apply(self, record: dict[str, Any]) -> None:
        if self.add_record is not None:
            self.add_record(self.curves, record)
        if record.get("kind") == "eval":
            self.last_eval = record
        elif record.get("kind") == "resume" and self.last_eval is not None:
            step, evaluated = record.get("step"), self.last_eval.get("step")
            if isinstance(step, int | float) and isinstance(evaluated, int | float) and evaluated > step:
                self.last_eval = None  # an evaluation the resumed run redoes (as the curves drop it)

    def best(self, metric: str = "val/accuracy") -> float | None:
        point = self.best_at(metric)
        return point[1] if point is not None else None

    def best_at(self, metric: str = "val/accuracy") -> tuple[int, float] | None:
        """(step, value) of the best ``metric`` so far (highest accuracy, else lowest), the first such."""
        buffer = self.curves.buffers.get(metric) if self.curves is not None else None
        if buffer is None or not len(buffer):
            return None
        steps, _, values = buffer.arrays()
        index = int(values.argmax() if metric.endswith("accuracy") else values.argmin())
        return int(steps[index]), float(values[index])

    def duration(self, now: float | None = None) -> float | None:
        status = self.status
        if status is None or not status.started:
            return None
        end = (now or time.time()) if status.active else status.heartbeat
        return max(0.0, end - status.started)


def checkpoint_names(path: Path) -> tuple[str, ...]:
    """The file names in the checkpoint folder of run ``path`` (``RUN/checkpoints``, else ``path``)."""
    folder = path / "checkpoints"
    try:
        return tuple(sorted(os.listdir(folder if folder.is_dir() else path)))
    except OSError:
        return ()


def read_run(path: Path, offset: int, first: bool, metrics: bool) -> RunUpdate:
    """One read of ``path`` (runs in the worker): status, labels, new records from ``offset``."""
    reader = RunReader(path)
    records, end = reader.read_metrics(offset) if metrics else (None, offset)
    return RunUpdate(path, reader.status(), records, offset, end, read_labels(path),
                     reader.data_report() if first else None, reader.config() if first else None,
                     path.is_dir(), checkpoint_names(path))


def unfollowed(search: Callable[[], Iterable[Path]], followed: set[Path]) -> list[Path]:
    """The folders ``search()`` names that exist and are not in ``followed`` (resolved, in order)."""
    found = [Path(path).resolve() for path in search()]
    return [path for path in dict.fromkeys(found) if path not in followed and path.is_dir()]


class RunsWatcher(QObject):
    """The followed runs (``runs``, in the order added) and their polling."""

    sigUpdated = Signal(list)  # paths of the runs that changed (status, records, labels, checkpoints)
    sigAdded = Signal(object)  # path of a run followed from now on
    sigRemoved = Signal(object)  # path of a run no longer followed
    sigMoved = Signal(object, object)  # old path, new path of a run whose folder moved

    def __init__(self, parent: QObject | None = None, poll_ms: int = POLL_MS,
                 discover: Callable[[], Callable[[], Iterable[Path]]] | None = None) -> None:
        super().__init__(parent)
        self.runs: dict[Path, WatchedRun] = {}
        # discover() (GUI thread) -> a search of the run folders to follow, which reads only what it captured
        self.discover = discover
        self._new_curves: Callable[[], Any] | None = None
        self._add_record: Callable[[Any, dict[str, Any]], None] | None = None
        self._job: Job | None = None
        self._first: set[Path] = set()
        self._polls = 0
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    def keep_curves(self, new: Callable[[], Any], add: Callable[[Any, dict[str, Any]], None]) -> None:
        """Keep each run's records in ``new()`` through ``add(curves, record)`` (the training panel's
        curves); the runs followed already are read again from their start."""
        self._new_curves, self._add_record = new, add
        for run in self.runs.values():
            run.curves, run.add_record = new(), add
            if not run.live:
                run.offset, run.last_eval = 0, None

    def add(self, path: str | Path, live: bool = False) -> WatchedRun:
        """Follow ``path`` (again, if it already is: then only ``live`` changes)."""
        path = Path(path).resolve()
        run = self.runs.get(path)
        added = run is None
        if added:
            run = self.runs[path] = WatchedRun(path, live=live)
            if self._new_curves is not None:
                run.curves, run.add_record = self._new_curves(), self._add_record
            self._first.add(path)
        run.live = live
        if added:
            self.sigAdded.emit(path)
        return run

    def keep_only(self, paths: Iterable[Path], keep: Iterable[Path] = ()) -> None:
        """Stop following runs outside ``paths`` (resolved), except those in ``keep`` (training now)."""
        wanted = {Path(path).resolve() for path in (*paths, *keep)}
        for path in [path for path in self.runs if path not in wanted]:
            self.remove(path)

    def follow_new(self) -> list[Path]:
        """Follow now the folders ``discover`` finds that exist and are not followed yet."""
        fresh = unfollowed(self.discover(), set(self.runs)) if self.discover is not None else []
        for path in fresh:
            self.add(path)
        return fresh

    def end_live(self, path: str | Path) -> None:
        """A live run ended: follow its metrics file from its end on (its events gave the rest)."""
        run = self.get(path)
        if run is not None:
            run.live = False
            metrics = run.path / layout.METRICS
            run.offset = metrics.stat().st_size if metrics.exists() else 0

    def rename(self, old: str | Path, new: str | Path) -> WatchedRun | None:
        """The run followed at ``old`` is at ``new`` now (moved into the project): what was read is kept
        (None when ``old`` is not followed)."""
        old, new = Path(old).resolve(), Path(new).resolve()
        run = self.runs.pop(old, None)
        if run is None:
            return None
        run.path = new
        self.runs[new] = run
        if old in self._first:
            self._first.discard(old)
            self._first.add(new)
        self.sigMoved.emit(old, new)
        return run

    def remove(self, path: str | Path) -> None:
        path = Path(path).resolve()
        self._first.discard(path)
        if self.runs.pop(path, None) is not None:
            self.sigRemoved.emit(path)

    def get(self, path: str | Path) -> WatchedRun | None:
        return self.runs.get(Path(path).resolve())

    def poll(self, everything: bool = False) -> Job | None:
        """Start a background read (unless one is still going) of the runs that may change: those
        another process writes and those not read yet; every run each ``SLOW_EVERY`` polls (the status
        of this window's own run, finished runs resumed elsewhere); and the new folders ``discover``
        finds, which it follows when the read is back (the listing is the job's, not the GUI's)."""
        if self._job is not None and self._job.running:
            return self._job
        self._polls += 1
        everything = everything or self._polls % SLOW_EVERY == 0
        plan = [(run.path, run.offset, run.path in self._first, not run.live) for run in self.runs.values()
                if everything or self._changing(run)]
        search, followed = (self.discover() if self.discover is not None else None), set(self.runs)
        if not plan and search is None:
            return None

        def work(_report) -> tuple[list[Path], list[RunUpdate]]:
            fresh = unfollowed(search, followed) if search is not None else []  # (listing folders here)
            plan.extend((path, 0, True, True) for path in fresh)  # read in this job, as a new run is
            return fresh, [read_run(*item) for item in plan]

        self._job = Job(work, name="run-watch", parent=self)
        self._job.sigFinished.connect(self._apply)
        self._job.start()
        return self._job

    def _changing(self, run: WatchedRun) -> bool:
        """Runs another process writes, those not read yet, and a live run's status and checkpoints."""
        return run.live or run.status is None or run.status.active or run.path in self._first

    def read_now(self) -> None:
        """Read every run on the GUI thread (used when a run is opened and for a screenshot)."""
        plan = [(run.path, run.offset, run.path in self._first, not run.live) for run in self.runs.values()]
        self._apply(([], [read_run(*item) for item in plan]))

    def _apply(self, found: tuple[list[Path], list[RunUpdate]]) -> None:
        fresh, updates = found
        for path in fresh:
            if path not in self.runs:
                self.add(path)
        changed = []
        for update in updates:
            run = self.runs.get(update.path)
            if run is None:
                continue  # removed while it was being read
            if update.report is not None:  # until the report is written, read it again each time
                run.report = update.report
                self._first.discard(update.path)
            run.config = update.config or run.config
            fresh = update.records is not None and not run.live and update.start == run.offset
            if fresh:  # (a read planned before the run changed hands or was re-read is dropped)
                for record in update.records:
                    run.apply(record)
                run.offset = update.offset
            if ((fresh and update.records) or update.status != run.status or update.labels != run.labels
                    or update.exists != run.exists or update.report is not None
                    or update.checkpoints != run.checkpoints):
                changed.append(update.path)
            run.status, run.labels, run.exists = update.status, update.labels, update.exists
            run.checkpoints = update.checkpoints
        if changed:
            self.sigUpdated.emit(changed)
