"""The edited model's weights in the window: the engine's :class:`studio.engine.checkpoints.live.LiveModel`
kept in step with the document's spec, every compile, restore and copy in a :class:`Job`.

Once built (the checkpoint panel asks when a checkpoint opens), the model is compiled again in the
background after each burst of edits, so restored weights carry over and the marks follow. What the GUI
shows comes from the last :class:`LiveState` a job brought back; nothing here touches tensors.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from studio.engine.checkpoints.live import LiveModel as EngineLiveModel
from studio.engine.checkpoints.live import LiveState, LiveWeights, Shapes
from studio.engine.checkpoints.marks import Marks
from studio.engine.checkpoints.plan import RestorePlan
from studio.engine.checkpoints.reader import CheckpointSource
from studio.engine.checkpoints.restore import RestoreResult
from studio.engine.graph_module import GraphModule
from studio.engine.projector.points import LiveSource, live_source
from studio.engine.spec.model import ModelSpec, SpecEvent
from studio.engine.training.config import InitConfig
from studio.ui.canvas.marks import mark_labels
from studio.ui.workers import Job, JobFailure

REBUILD_MS = 300  # after the last edit of a burst
BUILD_NICE = 5  # compiling yields the CPU to the GUI thread


class LiveModel(QObject):
    """``spec`` (the document's) and its weights; ``restored``/``frozen``/``steps`` say what was done."""

    sigChanged = Signal()  # weights restored, frozen or reset, or rebuilt after edits: marks to redraw
    sigBuilt = Signal()  # the model of the spec as it is now is built (see ``ready``)
    sigBuildFailed = Signal(str)  # why the spec did not compile

    def __init__(self, spec: ModelSpec, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.engine = EngineLiveModel()
        self.state = LiveState()  # as the last job (or reset) reported it
        self.jobs: list[Job] = []  # builds and restores running (the engine's lock orders them)
        self._building: Job | None = None
        self._edits = 0  # spec edits seen (moves aside)
        self._built_edits = -1  # the edit count the last build is of
        self._build_error: str | None = None  # why the spec as it is now does not compile
        self._rebuild = QTimer(self)
        self._rebuild.setSingleShot(True)
        self._rebuild.setInterval(REBUILD_MS)
        self._rebuild.timeout.connect(self.prepare)
        spec.subscribe(self._on_event)

    # ---- keeping up with the spec -----------------------------------------------------------------
    def _on_event(self, event: SpecEvent) -> None:
        if event.kind == "node_moved":
            return
        self._edits += 1
        self._build_error = None
        if event.kind == "reset":  # another project or file: its weights start fresh
            self._rebuild.stop()
            had = bool(self.state.shapes or self.state.steps)
            self._take(self.engine.reset())
            if had:
                self.sigChanged.emit()
        elif self._built_edits >= 0:  # built once: keep it built (restored weights carry over)
            self._rebuild.start()

    @property
    def ready(self) -> bool:
        """Whether the model of the spec as it is now is built (its shapes and marks known)."""
        return self._built_edits == self._edits

    @property
    def build_error(self) -> str | None:
        """Why the spec as it is now does not compile (None: it does, or it was not tried yet)."""
        return self._build_error

    @property
    def busy(self) -> bool:
        """A build or restore is running."""
        return any(job.running for job in self.jobs)

    def prepare(self) -> None:
        """Build the model of the spec as it is now in the background (unless it is built, being built
        or does not compile); sigBuilt or sigBuildFailed follows."""
        if self.ready or self._build_error is not None:
            return
        if self._building is not None and self._building.running:
            return  # when it ends, the spec as it is then is built
        spec, edits = self.spec.copy(), self._edits
        self._building = self._start(lambda report: self.engine.build(spec), "live-build",
                                     lambda state: self._built(state, edits),
                                     lambda failure: self._build_failed(failure, edits))

    def _built(self, state: LiveState, edits: int) -> None:
        if self._take(state):
            self.sigChanged.emit()
        if edits == self._edits:
            self._built_edits = edits
            self.sigBuilt.emit()
        else:
            self.prepare()  # edited while compiling

    def _build_failed(self, failure: JobFailure, edits: int) -> None:
        if edits != self._edits:
            self.prepare()
            return
        self._build_error = failure.message
        self.sigBuildFailed.emit(failure.message)

    def _take(self, state: LiveState) -> bool:
        """Keep ``state`` unless an older one than ours (jobs end in any order); True when what the
        canvas shows changed."""
        if state.version < self.state.version:
            return False
        changed = state.marks != self.state.marks or state.steps != self.state.steps
        self.state = state
        return changed

    def when_ready(self, then: Callable[[], None], failed: Callable[[str], None] | None = None) -> None:
        """``then()`` once the model of the spec as it is now is built (at once if it is), else
        ``failed(message)`` when it does not compile."""
        if self.ready:
            then()
            return

        def built() -> None:
            if self.ready:
                disconnect()
                then()

        def not_built(message: str) -> None:
            disconnect()
            if failed is not None:
                failed(message)

        def disconnect() -> None:
            self.sigBuilt.disconnect(built)
            self.sigBuildFailed.disconnect(not_built)

        self.sigBuilt.connect(built)
        self.sigBuildFailed.connect(not_built)
        if self._build_error is not None:
            not_built(self._build_error)
        else:
            self.prepare()

    # ---- restoring --------------------------------------------------------------------------------
    def restore(self, plan: RestorePlan, source: CheckpointSource, step: InitConfig) -> Job:
        """Apply ``plan`` from ``source`` in a Job (its events: progress fractions; it finishes with the
        RestoreResult, and then ``restored``, ``steps`` and the marks include it)."""
        def work(report) -> tuple[RestoreResult, LiveState]:
            result = self.engine.restore(plan, source, step, progress=lambda fraction, _: report(fraction))
            return result, self.engine.state()

        return self._start(work, "restore", self._restored)  # connected first: the caller's slots see it

    def _restored(self, outcome: tuple[RestoreResult, LiveState]) -> None:
        if self._take(outcome[1]):
            self.sigChanged.emit()

    def _start(self, work, name: str, done, failed=None) -> Job:
        job = Job(work, name=name, parent=self, nice=BUILD_NICE)
        job.sigFinished.connect(done)
        if failed is not None:
            job.sigFailed.connect(failed)
        self.jobs = [one for one in self.jobs if one.running] + [job]
        job.start()
        return job

    # ---- copies for other work --------------------------------------------------------------------
    def weights(self) -> LiveWeights:
        """The weights of the spec as it is now, read (built if needed) where they are used: in the
        export's or comparison's Job."""
        return LiveWeights(self.engine, self.spec.copy())

    def snapshot_work(self) -> LiveSource:
        """For a worker: the spec as it is now with a copy of its module (compiled there if needed)."""
        return live_source(self.engine, self.spec.copy())

    # ---- what the GUI shows -----------------------------------------------------------------------
    def module(self) -> GraphModule | None:
        """The module as last built (for tests and scripts; work in a Job uses a snapshot)."""
        return self.engine.module()

    @property
    def shapes(self) -> Shapes:
        """Tensor name -> shape of the model as last built."""
        return self.state.shapes

    @property
    def restored(self) -> dict[str, str]:
        """Model tensor -> "checkpoint file: tensor" it came from."""
        return self.state.restored

    @property
    def frozen(self) -> frozenset[str]:
        """Names of the parameters that do not train (requires_grad off)."""
        return self.state.frozen

    @property
    def steps(self) -> list[InitConfig]:
        """The restores applied, replayable by a trainer."""
        return list(self.state.steps)

    def all_marks(self) -> Marks:
        """Graph (None: the model, else a block name) -> node id -> NodeMark."""
        return self.state.marks

    def node_marks(self, block: str | None = None) -> dict[str, tuple[str, ...]]:
        """Node id -> the labels the canvas of graph ``block`` shows ("restored", "frozen 1/3")."""
        return {node: mark_labels(mark) for node, mark in self.all_marks().get(block, {}).items()}

