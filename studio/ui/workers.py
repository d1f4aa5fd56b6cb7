"""All of the GUI's threading: long engine work runs in a Python thread, its reports reach the GUI in
batches.

A :class:`Job` runs ``work(report)`` in a daemon thread. ``report(event)`` only appends a plain value
to a locked list (cheap, no Qt call in the worker); a timer on the GUI thread drains the list every
``interval_ms`` (50 ms: at most 20 signals a second however fast the worker reports) and emits
``sigEvents`` with the batch, then ``sigFinished`` or ``sigFailed`` once the work has ended.

    job = Job(lambda report: trainer.run(callback=report), name="training")
    job.sigEvents.connect(panel.on_events)
    job.sigFailed.connect(panel.on_failed)
    job.start()
"""

from __future__ import annotations

import gc
import os
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal

from studio.engine.errors import StudioError

Report = Callable[[Any], None]
_THREADS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()  # of every Job started


@dataclass(frozen=True)
class JobFailure:
    """Why a job ended with an exception: ``message`` for the user, ``user_error`` when it is a
    StudioError (a problem the user can fix), ``exception`` the original, ``details`` its traceback."""

    message: str
    user_error: bool
    exception: BaseException
    details: str


class EventQueue:
    """A thread-safe list of events: the worker puts, the GUI takes all at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Any] = []

    def put(self, event: Any) -> None:
        with self._lock:
            self._items.append(event)

    def take(self) -> list[Any]:
        with self._lock:
            items, self._items = self._items, []
        return items


class Job(QObject):
    """Runs ``work(report)`` in a background thread and delivers its reports on the GUI thread."""

    sigEvents = Signal(list)  # events reported since the last batch (plain values, in order)
    sigFinished = Signal(object)  # what ``work`` returned
    sigFailed = Signal(object)  # JobFailure

    def __init__(self, work: Callable[[Report], Any], name: str = "job", interval_ms: int = 50,
                 parent: QObject | None = None, nice: int = 0) -> None:
        super().__init__(parent)
        self.name = name
        self.nice = nice
        self._work = work
        self._queue = EventQueue()
        self._outcome: tuple[str, Any] | None = None
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._drain)

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is not None:
            raise RuntimeError(f"job {self.name} was already started")
        MainThreadGC.install()
        self._thread = threading.Thread(target=self._run, name=f"studio-{self.name}", daemon=True)
        _THREADS.add(self._thread)
        self._timer.start()
        self._thread.start()

    @property
    def running(self) -> bool:
        """True from ``start`` until the final signal was emitted."""
        return self._thread is not None and self._timer.isActive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread has ended (its last events are still delivered by the timer);
        False on timeout."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def flush(self) -> None:
        """Deliver what is queued now (and the outcome if the thread has ended)."""
        self._drain()

    def _run(self) -> None:
        if self.nice:
            lower_priority(self.nice)
        try:
            result = self._work(self._queue.put)
            outcome = ("finished", result)
        except StudioError as exc:
            outcome = ("failed", JobFailure(str(exc), True, exc, traceback.format_exc()))
        except BaseException as exc:  # noqa: BLE001 - any failure must reach the GUI, never kill it
            message = f"{type(exc).__name__}: {exc}"
            outcome = ("failed", JobFailure(message, False, exc, traceback.format_exc()))
        self._outcome = outcome

    def _drain(self) -> None:
        ended = self._outcome is not None  # read before taking: events put before the end are all in
        events = self._queue.take()
        if events:
            self.sigEvents.emit(events)
        if ended and self._timer.isActive():
            self._timer.stop()
            kind, value = self._outcome
            (self.sigFinished if kind == "finished" else self.sigFailed).emit(value)


def join_jobs(timeout: float) -> list[str]:
    """Wait for the thread of every job still running, at most ``timeout`` seconds in all; the names of
    those still running then. The application calls it once its event loop has ended: a thread still
    inside torch when the interpreter exits aborts the process ("terminate called without an active
    exception", exit 134). Stopping the work is its owner's part (a panel's ``confirm_close``)."""
    deadline = time.monotonic() + timeout
    for thread in list(_THREADS):
        thread.join(max(0.0, deadline - time.monotonic()))
    return sorted(thread.name for thread in list(_THREADS) if thread.is_alive())


def lower_priority(nice: int) -> bool:
    """Lower the OS priority of the calling thread (and of the threads it starts, such as torch's
    compute threads) by ``nice``, so the GUI thread wins the CPU when they compete. Linux only (there a
    thread id is a process id for ``setpriority``); False where it is not possible."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, os.getpriority(os.PRIO_PROCESS, 0)
                                                                        + nice))
    except (AttributeError, OSError):
        return False
    return True


class MainThreadGC(QObject):
    """Python's cyclic garbage collector, run on the GUI thread only.

    An automatic collection runs in whichever thread happens to allocate; when a worker's collection
    frees dead Qt wrappers (a closed dialog, an old panel) their C++ destructors run off the GUI thread
    and can deadlock against it (seen: a run watcher's JSON parsing freed a window while the GUI thread
    built one). So once a worker starts, automatic collection is off and a timer on the GUI thread
    collects as Python would: a generation once its threshold is passed, the oldest (a full collection:
    0.3-0.5 s for the window's ~250k objects on a slow machine) only once the objects moved into it since
    its last collection are a quarter of those it kept then.
    """

    INTERVAL_MS = 250
    _instance: MainThreadGC | None = None

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.long_lived = len(gc.get_objects(2))  # what the oldest generation kept at its last collection
        self.pending = 0  # objects moved into it since
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()
        gc.disable()

    @classmethod
    def install(cls) -> None:
        """Take over collection (once per application; from the GUI thread)."""
        app = QCoreApplication.instance()
        if cls._instance is not None or app is None or QThread.currentThread() is not app.thread():
            return
        cls._instance = cls(app)
        app.aboutToQuit.connect(gc.enable)

    def collect(self) -> int | None:
        """One step of generational collection, as Python would do it, but here; the generation collected
        (None: none was due)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return None
        if counts[2] > thresholds[2] and self.pending >= self.long_lived // 4:
            gc.collect(2)
            self.long_lived, self.pending = len(gc.get_objects(2)), 0
            return 2
        if counts[1] > thresholds[1]:
            young = len(gc.get_objects(0)) + len(gc.get_objects(1))
            self.pending += young - gc.collect(1)  # the survivors move to the oldest generation
            return 1
        gc.collect(0)
        return 0
