"""Curve buffers that stay small: a 100k-step run redraws as fast as a 100-step one.

A :class:`CurveBuffer` stores points ``(step, epoch, value)`` losslessly until it holds ``capacity``
of them; then it halves itself by keeping, of every four points, the lowest and the highest value (in
step order), so spikes and the envelope survive. Later points are gathered in blocks of the same span
and stored the same way. No Qt here: plain numpy, read by the plots on their redraw timer.
"""

from __future__ import annotations

import math

import numpy as np

COLUMNS = 3  # step, epoch, value


class CurveBuffer:
    """Decimating buffer of ``(step, epoch, value)``; ``arrays()`` gives what to draw."""

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 8 or capacity % 4:
            raise ValueError("capacity must be a multiple of 4, at least 8")
        self._data = np.empty((capacity, COLUMNS), np.float64)
        self._stored = 0
        self._level = 0  # at level L >= 1 a stored pair spans 2 ** (L + 1) raw points
        self._pending: list[tuple[float, float, float]] = []
        self.count = 0  # raw points appended
        self.version = 0  # bumped on every change: views redraw when it moved
        self.last: tuple[float, float, float] | None = None

    def __len__(self) -> int:
        return self.count

    @property
    def block(self) -> int:
        """Raw points per stored block (1: still lossless)."""
        return 1 if self._level == 0 else 2 ** (self._level + 1)

    def append(self, step: float, epoch: float, value: float) -> None:
        point = (float(step), float(epoch), float(value))
        self.count += 1
        self.version += 1
        self.last = point
        self._pending.append(point)
        if len(self._pending) >= self.block:
            self._store(self._pending)
            self._pending = []

    def clear(self) -> None:
        self._stored, self._level, self._pending, self.count, self.last = 0, 0, [], 0, None
        self.version += 1

    def truncate(self, step: float) -> None:
        """Forget the points after ``step`` (a run resumed from an earlier checkpoint repeats them)."""
        keep = self._data[:self._stored, 0] <= step
        kept = self._data[:self._stored][keep]
        self._stored = len(kept)
        self._data[:self._stored] = kept
        self._pending = [point for point in self._pending if point[0] <= step]
        self.count = self._stored + len(self._pending)  # now counts drawn points, a lower bound
        self.last = self._pending[-1] if self._pending else (tuple(kept[-1]) if len(kept) else None)
        self.version += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, epochs, values) of the stored points followed by the pending ones (copies)."""
        data = self._data[:self._stored]
        if self._pending:
            data = np.concatenate([data, np.asarray(self._pending, np.float64)])
        else:
            data = data.copy()
        return data[:, 0], data[:, 1], data[:, 2]

    def value_at(self, x: float, column: int = 0) -> tuple[float, float] | None:
        """The drawn point nearest to ``x`` on axis ``column`` (0 steps, 1 epochs): (x, value)."""
        arrays = self.arrays()
        xs, values = arrays[column], arrays[2]
        if len(xs) == 0:
            return None
        i = int(np.clip(np.searchsorted(xs, x), 1, len(xs) - 1)) if len(xs) > 1 else 0
        if i > 0 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
            i -= 1
        return float(xs[i]), float(values[i])

    def _store(self, points: list[tuple[float, float, float]]) -> None:
        rows = points if len(points) == 1 else _low_high(np.asarray(points, np.float64))
        for row in rows:
            if self._stored == len(self._data):
                self._compress()
            self._data[self._stored] = row
            self._stored += 1

    def _compress(self) -> None:
        groups = self._data[:self._stored].reshape(-1, 4, COLUMNS)
        halved = np.concatenate([_low_high(group) for group in groups])
        self._stored = len(halved)
        self._data[:self._stored] = halved
        self._level += 1


def _low_high(rows: np.ndarray) -> np.ndarray:
    """The rows with the lowest and the highest value, in their original order (NaNs kept visible)."""
    values = rows[:, 2]
    finite = np.isfinite(values)
    if not finite.any():
        return rows[[0, -1]]
    if not finite.all():  # a NaN/inf in the block is what the user must see: keep it as the "high"
        low = int(np.flatnonzero(finite)[np.argmin(values[finite])])
        high = int(np.flatnonzero(~finite)[0])
    else:
        low, high = int(np.argmin(values)), int(np.argmax(values))
    if low == high:
        low, high = 0, len(rows) - 1
    return rows[sorted((low, high))]


class Smoother:
    """TensorBoard's debiased exponential moving average (``weight`` 0 = raw, 0.99 = very smooth)."""

    def __init__(self, weight: float = 0.6) -> None:
        self.weight = weight
        self._last = 0.0
        self._count = 0

    def __call__(self, value: float) -> float:
        if not math.isfinite(value):
            return value
        self._count += 1
        self._last = self._last * self.weight + (1 - self.weight) * value
        return self._last / (1 - self.weight ** self._count) if self.weight > 0 else self._last

    def reset(self) -> None:
        self._last, self._count = 0.0, 0


RAW_SUFFIX = ":raw"  # the unsmoothed copy of a smoothed series


class RunCurves:
    """The curves of one run: a :class:`CurveBuffer` per series name; series named in ``smoothed``
    keep their raw values under ``name + ":raw"`` and a smoothed copy under ``name``."""

    def __init__(self, smoothed: tuple[str, ...] = ("train/loss", "train/accuracy", "images_per_s"),
                 capacity: int = 4096, smoothing: float = 0.6) -> None:
        self.buffers: dict[str, CurveBuffer] = {}
        self._smoothers = {name: Smoother(smoothing) for name in smoothed}
        self._capacity = capacity

    def add(self, name: str, step: float, epoch: float, value: float) -> None:
        smoother = self._smoothers.get(name)
        if smoother is not None:
            self._buffer(name + RAW_SUFFIX).append(step, epoch, value)
            value = smoother(value)
        self._buffer(name).append(step, epoch, value)

    def truncate(self, step: float) -> None:
        """Forget every point after ``step`` (see :meth:`CurveBuffer.truncate`)."""
        for buffer in self.buffers.values():
            buffer.truncate(step)

    def clear(self) -> None:
        self.buffers.clear()
        for smoother in self._smoothers.values():
            smoother.reset()

    def __contains__(self, name: str) -> bool:
        return name in self.buffers

    def points(self) -> int:
        """Raw points received over all series."""
        return sum(len(buffer) for name, buffer in self.buffers.items() if not name.endswith(RAW_SUFFIX))

    def _buffer(self, name: str) -> CurveBuffer:
        buffer = self.buffers.get(name)
        if buffer is None:
            buffer = self.buffers[name] = CurveBuffer(self._capacity)
        return buffer
