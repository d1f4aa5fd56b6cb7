"""The run's progress: a bar with epoch, step, ETA and images/s (or the preparation stage)."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtWidgets import QProgressBar, QWidget

WINDOW = 20  # step reports the speed estimate averages over


def duration_text(seconds: float) -> str:
    """``3725`` -> ``1:02:05``; ``65`` -> ``1:05``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressView(QProgressBar):
    """``preparing(stage, done, total)`` while data decodes, ``stepped(...)`` while training."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextVisible(True)
        self.setMinimumWidth(240)
        self._recent: deque[tuple[float, int]] = deque(maxlen=WINDOW)
        self.idle()

    def idle(self, text: str = "ready") -> None:
        self._recent.clear()
        self.setRange(0, 1)
        self.setValue(0)
        self.setFormat(text)

    def preparing(self, stage: str, done: int, total: int) -> None:
        self.setRange(0, max(total, 1))
        self.setValue(done)
        self.setFormat(f"{stage} {done:,}/{total:,}")

    def stepped(self, step: int, epoch: float, total_steps: int | None, epochs: float | None,
                images_per_s: float, now: float | None = None) -> str:
        """Show the progress at ``step``; returns the text shown."""
        now = time.monotonic() if now is None else now
        if self._recent and step < self._recent[-1][1]:
            self._recent.clear()  # resumed from an earlier step
        self._recent.append((now, step))
        parts = [f"epoch {epoch:.2f}" + (f"/{epochs:g}" if epochs else ""),
                 f"step {step:,}" + (f"/{total_steps:,}" if total_steps else "")]
        eta = self.eta(total_steps)
        if eta is not None:
            parts.append(f"ETA {duration_text(eta)}")
        parts.append(f"{images_per_s:,.0f} img/s")
        text = " · ".join(parts)
        if total_steps:
            self.setRange(0, total_steps)
            self.setValue(min(step, total_steps))
        else:
            self.setRange(0, 0)
        self.setFormat(text)
        return text

    def eta(self, total_steps: int | None) -> float | None:
        """Seconds left at the recent pace (None until two reports or without a total)."""
        if not total_steps or len(self._recent) < 2:
            return None
        (t0, s0), (t1, s1) = self._recent[0], self._recent[-1]
        if s1 <= s0 or t1 <= t0:
            return None
        return (total_steps - s1) * (t1 - t0) / (s1 - s0)

    def paused(self) -> None:
        self._recent.clear()  # the pause must not count in the pace
        self.setFormat(self.format().split(" · ETA")[0] + " · paused")
