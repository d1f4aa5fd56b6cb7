"""One checkpoint, looked inside: its tensors by scope with statistics (computed in the background),
a filter box, the selected tensor's histogram and, for conv kernels, its filters as images; and the
change of every tensor against a second checkpoint or the live model."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.engine.checkpoints.diff import diff_checkpoints
from studio.engine.checkpoints.inspector import CheckpointInspector
from studio.engine.checkpoints.reader import CheckpointSource
from studio.engine.formatting import size_text
from studio.ui.checkpoints.filter_grid import MAX_OUT, FilterGrid, is_conv_kernel
from studio.ui.checkpoints.histogram import HistogramView
from studio.ui.checkpoints.tensor_tree import TensorTree
from studio.ui.workers import Job, JobFailure


class CheckpointViewer(QWidget):
    """Shows the checkpoint given to :meth:`open`; all file reading happens in worker threads."""

    sigOpened = Signal(object)  # Path of the checkpoint now shown
    sigFailed = Signal(str)  # why a checkpoint could not be opened or compared (user-facing)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel("<i>Select a checkpoint on the left, or open a file</i>")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter tensors: text, scope:fc, suffix:.bias, glob:*.weight, re:…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.count = QLabel()
        self.tree = TensorTree()
        self.tree.sigTensorSelected.connect(self._tensor_selected)
        self.histogram = HistogramView()
        self.filters = FilterGrid()
        details = QTabWidget()
        details.addTab(self.histogram, "Histogram")
        details.addTab(self.filters, "Filters")
        self.details = details

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.progress)
        search = QHBoxLayout()
        search.addWidget(self.filter, 1)
        search.addWidget(self.count)
        layout = QVBoxLayout(self)  # ``details`` is placed by the panel
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addLayout(search)
        layout.addWidget(self.tree, 1)

        self.inspector: CheckpointInspector | None = None
        self.path: Path | None = None
        self.opening: Path | None = None  # the checkpoint being opened in the background
        self.diffs = None
        self.stats: dict = {}
        self.jobs: list[Job] = []
        self._lock = threading.Lock()  # one reader, used by one worker at a time
        self._cancel = threading.Event()
        self._generation = 0
        self._last_tensor = ""  # kept selected when another checkpoint is opened

    # ---- opening ------------------------------------------------------------------------------
    def open(self, path: str | Path) -> None:
        """Open checkpoint ``path`` in the background; sigOpened or sigFailed follows."""
        self._cancel.set()
        self._cancel = threading.Event()
        self._generation += 1
        generation, path = self._generation, Path(path)
        self.opening = path.resolve()
        self.title.setText(f"Opening {path.name} …")
        job = self._start(lambda report: CheckpointInspector(path), "open checkpoint")
        job.sigFinished.connect(lambda inspector: self._opened(generation, inspector))
        job.sigFailed.connect(lambda failure: self._open_failed(generation, failure))

    def _opened(self, generation: int, inspector: CheckpointInspector) -> None:
        if generation != self._generation:
            return
        self.opening = None
        self.inspector, self.path, self.diffs, self.stats = inspector, inspector.path, None, {}
        entries = inspector.entries
        self.tree.set_entries(entries)
        self._filter_changed(self.filter.text())
        self.title.setText(self._title_text(inspector))
        self.title.setToolTip(str(inspector.path))
        self.histogram.show_stats(None)
        self.filters.show_kernel(None, "")
        self._compute_stats(generation, [entry.name for entry in entries])
        weights = [entry.name for entry in entries if len(entry.shape) >= 2] + [e.name for e in entries]
        first = self._last_tensor if self._last_tensor in self.tree.items else next(iter(weights), None)
        if first is not None:
            self.tree.select_tensor(first)
        self.sigOpened.emit(inspector.path)

    def _title_text(self, inspector: CheckpointInspector) -> str:
        info = inspector.info
        what = f"step {info.step}, epoch {info.epoch:.3g}" if info is not None else inspector.format
        return (f"<b>{inspector.path.name}</b> &nbsp; {what} · {len(inspector.entries)} tensors · "
                f"{size_text(inspector.total_bytes)}")

    def _open_failed(self, generation: int, failure: JobFailure) -> None:
        if generation == self._generation:
            self.opening = None
            self.title.setText("<i>Nothing open</i>")
            self.progress.hide()
            self.inspector, self.path, self.diffs, self.stats = None, None, None, {}
            self.tree.set_entries([])
            self.histogram.show_stats(None)
            self.filters.show_kernel(None, "")
            self.sigFailed.emit(failure.message)

    def _failed(self, generation: int, failure: JobFailure) -> None:
        """A statistic, tensor or comparison could not be read: say so, keep what is shown."""
        if generation == self._generation:
            self.progress.hide()
            self.sigFailed.emit(failure.message)

    def _compute_stats(self, generation: int, names: list[str]) -> None:
        inspector, lock, cancel = self.inspector, self._lock, self._cancel

        def work(report):
            for index, name in enumerate(names):
                if cancel.is_set():
                    return
                with lock:
                    report((index + 1, inspector.stats(name)))

        self.progress.setRange(0, max(1, len(names)))
        self.progress.setValue(0)
        self.progress.setFormat("statistics %v / %m")
        self.progress.setVisible(bool(names))
        job = self._start(work, "tensor statistics")
        job.sigEvents.connect(lambda events: self._stats_arrived(generation, events))
        job.sigFinished.connect(lambda _: generation == self._generation and self.progress.hide())
        job.sigFailed.connect(lambda failure: self._failed(generation, failure))

    def _stats_arrived(self, generation: int, events: list) -> None:
        if generation != self._generation:
            return
        batch = [stats for _, stats in events]
        self.stats.update((stats.name, stats) for stats in batch)
        self.tree.set_stats(batch)
        self.progress.setValue(events[-1][0])
        current = self.tree.current_tensor()
        if current and any(stats.name == current for stats in batch):
            self.histogram.show_stats(self.stats[current])

    # ---- the selected tensor ------------------------------------------------------------------
    def _tensor_selected(self, name: str) -> None:
        self._last_tensor = name or self._last_tensor
        if not name or self.inspector is None:
            self.histogram.show_stats(None)
            self.filters.show_kernel(None, "")
            return
        inspector, lock, generation = self.inspector, self._lock, self._generation
        conv = is_conv_kernel(inspector.reader.shape(name))
        self.histogram.show_stats(self.stats.get(name), "computing …")
        self.filters.show_kernel(None, "", "loading …" if conv else f"{name} is not a convolution kernel")

        def work(report):
            with lock:
                stats = inspector.stats(name)
                kernel = inspector.reader.tensor(name)[:MAX_OUT].float().numpy().copy() if conv else None
            return name, stats, kernel

        job = self._start(work, "tensor details")
        job.sigFinished.connect(lambda result: self._details_arrived(generation, *result))
        job.sigFailed.connect(lambda failure: self._failed(generation, failure))

    def _details_arrived(self, generation: int, name: str, stats, kernel) -> None:
        if generation != self._generation or name != self.tree.current_tensor():
            return
        self.stats[name] = stats
        self.histogram.show_stats(stats)
        if kernel is not None:
            self.filters.show_kernel(kernel, name)

    # ---- comparing ----------------------------------------------------------------------------
    def compare(self, other: CheckpointSource, label: str) -> None:
        """Colour every tensor by its relative change from this checkpoint (A) to ``other`` (B)."""
        if self.path is None:
            return
        generation, reader, lock = self._generation, self.inspector.reader, self._lock

        def work(report):
            with lock:
                return diff_checkpoints(reader, other, progress=lambda f, _: report(f))

        self.progress.setRange(0, 100)
        self.progress.setFormat(f"comparing with {label} %p%")
        self.progress.show()
        job = self._start(work, "diff")
        job.sigEvents.connect(lambda events: self.progress.setValue(int(100 * events[-1])))
        job.sigFinished.connect(lambda diffs: self._diff_arrived(generation, diffs, label))
        job.sigFailed.connect(lambda failure: self._failed(generation, failure))

    def _diff_arrived(self, generation: int, diffs, label: str) -> None:
        if generation != self._generation:
            return
        self.progress.hide()
        self.diffs = diffs
        self.tree.set_diff(diffs)
        changed = sum(diff.status == "changed" for diff in diffs)
        self.title.setText(self._title_text(self.inspector) + f" &nbsp; <b>→ {label}</b>: {changed} of "
                           f"{len(diffs)} tensors changed")

    def clear_compare(self) -> None:
        self.diffs = None
        self.tree.set_diff(None)
        if self.inspector is not None:
            self.title.setText(self._title_text(self.inspector))

    # ---- plumbing -----------------------------------------------------------------------------
    def _filter_changed(self, text: str) -> None:
        shown = self.tree.set_filter(text)
        total = len(self.tree.items)
        self.count.setText(f"{shown} of {total}" if text else f"{total} tensors")

    def _start(self, work, name: str) -> Job:
        job = Job(work, name=name, parent=self)
        self.jobs = [j for j in self.jobs if j.running] + [job]
        job.start()
        return job

    @property
    def busy(self) -> bool:
        return any(job.running for job in self.jobs)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop computing statistics and wait for the workers (before the application exits)."""
        self._cancel.set()
        for job in self.jobs:
            job.wait(timeout)
