"""Ctrl-C (SIGINT) and SIGTERM during `studio train`: stop between steps like the Stop button.

The first signal asks the trainer to stop before its next step; it saves a checkpoint and writes the
reason ("interrupted by SIGINT") to status.json. A second signal, or one that arrives while the run is
still being prepared (nothing to save yet), aborts at once. Either way the command exits with
128 + the signal number (130 for SIGINT, 143 for SIGTERM), as shells expect.

Under torchrun one Ctrl-C reaches each worker twice (from the terminal and again from the launcher),
and a worker that aborted would leave the others waiting in the checkpoint's collective: there,
later signals are ignored and the launcher's own deadline (SIGKILL) is the last resort.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Raised by the handler to abort at once; ``signum`` is the signal that did it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StopOnSignal:
    """Context manager installing the handlers around ``trainer.run()``; ``signum`` is the signal
    that stopped the run (None when none came)."""

    def __init__(self, trainer: Any, announce: bool = True, repeat_aborts: bool = True) -> None:
        self.trainer = trainer
        self.announce = announce
        self.repeat_aborts = repeat_aborts
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def reason(self) -> str | None:
        """The stop reason given to the trainer."""
        return None if self.signum is None else f"interrupted by {signal.Signals(self.signum).name}"

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or 0)

    def __enter__(self) -> StopOnSignal:
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None and not self.repeat_aborts:
            return
        if self.signum is not None or self.trainer.session is None:
            self._restore()
            raise Interrupted(signum)
        self.signum = signum
        if self.announce:
            again = " (Ctrl-C again to abort)" if self.repeat_aborts else ""
            print(f"\n{signal.Signals(signum).name}: stopping after the current step and saving a "
                  f"checkpoint{again}", file=sys.stderr)
        self.trainer.stop(self.reason)
