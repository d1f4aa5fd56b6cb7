"""Learning what the chosen data folder gives the model (its images' shape, its classes) in a worker,
whenever the folder or its label rule changes, and handing it to the document: the canvas then shows
an input without a shape as "from data: 1×28×28" and a head that does not fit the classes as a
problem with its fix. Nothing is decoded: a scan of the names and a few image headers."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from studio.engine.data import DataConfig
from studio.engine.data.facts import DataFacts, data_facts
from studio.engine.training.config import LossConfig
from studio.ui.workers import Job, JobFailure

DEBOUNCE_MS = 250  # typing a folder name scans once it pauses


def loss_heads(losses: tuple[LossConfig, ...]) -> tuple[str, ...] | None:
    """The outputs the losses train (None: every output, as without losses or with an unnamed one)."""
    if not losses or any(loss.output is None for loss in losses):
        return None
    return tuple(loss.output for loss in losses)


class DataFactsWatch(QObject):
    """Keeps ``document.data_facts`` true to ``config()`` (the Data page's choices, None when invalid)
    and ``losses()`` (the training settings' losses)."""

    sigLearnt = Signal(object)  # the DataFacts handed to the document

    def __init__(self, document, config: Callable[[], DataConfig | None],
                 losses: Callable[[], tuple[LossConfig, ...]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._config, self._losses = config, losses
        self.job: Job | None = None
        self._asked: tuple | None = None  # (root, labels) of the job running or done
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)

    def changed(self) -> None:
        """The data choices changed: learn them again once the typing stops."""
        self._timer.start()

    def refresh(self, force: bool = False) -> Job | None:
        """Learn the facts of the folder chosen now (in a worker); None when nothing needs reading."""
        self._timer.stop()
        config = self._config()
        key = (config.root, config.labels) if config is not None and config.root else None
        if key == self._asked and not force:
            self._set_heads()
            return None
        if key is None:
            self._asked = None
            self.document.set_data_facts(None)
            return None
        if self.job is not None and self.job.running:
            self._pending = True  # asked again once the running scan ends
            return self.job
        self._asked = key
        self.job = Job(lambda _report: data_facts(config), name="data-facts", parent=self)
        self.job.sigFinished.connect(lambda facts: self._learnt(key, facts))
        self.job.sigFailed.connect(lambda failure: self._failed(key, failure))
        self.job.start()
        return self.job

    def _learnt(self, key: tuple, facts: DataFacts) -> None:
        if not self._again(key):
            self._hand(facts)

    def _failed(self, key: tuple, failure: JobFailure) -> None:
        if not self._again(key):  # the folder cannot be used: an input without a shape says why
            self._hand(DataFacts(root=str(key[0]), problem=failure.message))

    def _again(self, key: tuple) -> bool:
        """Whether the choices changed while scanning (then the scan that is out of date is dropped)."""
        if self._pending:
            self._pending = False
            config = self._config()
            if config is None or (config.root, config.labels) != key:
                self.refresh()
                return True
        return False

    def _set_heads(self) -> None:
        facts = self.document.data_facts
        if facts is not None:
            self._hand(facts)

    def _hand(self, facts: DataFacts) -> None:
        try:
            heads = loss_heads(self._losses())
        except Exception:  # noqa: BLE001 - invalid settings: their page says so; every output trains
            heads = None
        facts = DataFacts(facts.shape, facts.class_names, facts.root, heads, facts.problem)
        self.document.set_data_facts(facts)
        self.sigLearnt.emit(facts)

    def wait(self, timeout: float = 60.0) -> None:
        """Finish a scan now (tests, screenshots)."""
        if self.job is not None and self.job.running:
            self.job.wait(timeout)
            self.job.flush()
