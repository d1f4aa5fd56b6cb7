"""The 2-D view transform of the projector: which data point sits at which pixel (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

MIN_SCALE, MAX_SCALE = 1e-6, 1e9


@dataclass(frozen=True)
class Camera:
    """Data point ``center`` shown at the middle of a ``width`` x ``height`` viewport, ``scale`` pixels per
    data unit; data y grows upwards, screen y downwards."""

    center: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    width: int = 1
    height: int = 1

    def to_screen(self, coords: np.ndarray) -> np.ndarray:
        """``[N, 2]`` data coordinates -> ``[N, 2]`` pixel positions (float64)."""
        xy = np.asarray(coords, dtype=np.float64)[:, :2]
        out = np.empty((len(xy), 2), dtype=np.float64)
        out[:, 0] = (xy[:, 0] - self.center[0]) * self.scale + self.width / 2
        out[:, 1] = (self.center[1] - xy[:, 1]) * self.scale + self.height / 2
        return out

    def to_data(self, x: float, y: float) -> tuple[float, float]:
        """The data point under pixel ``(x, y)``."""
        return (self.center[0] + (x - self.width / 2) / self.scale,
                self.center[1] - (y - self.height / 2) / self.scale)

    def resized(self, width: int, height: int) -> Camera:
        return replace(self, width=max(1, int(width)), height=max(1, int(height)))

    def fitted(self, coords: np.ndarray, margin: float = 40.0) -> Camera:
        """The camera that shows every point of ``coords`` with ``margin`` pixels around them."""
        if len(coords) == 0:
            return replace(self, center=(0.0, 0.0), scale=1.0)
        lo, hi = np.nanmin(coords[:, :2], axis=0), np.nanmax(coords[:, :2], axis=0)
        span = np.maximum(hi - lo, 1e-9)
        room = np.maximum([self.width - 2 * margin, self.height - 2 * margin], 1.0)
        scale = float(np.clip(np.min(room / span), MIN_SCALE, MAX_SCALE))
        return replace(self, center=(float(lo[0] + hi[0]) / 2, float(lo[1] + hi[1]) / 2), scale=scale)

    def zoomed(self, factor: float, x: float, y: float) -> Camera:
        """Zoom by ``factor`` keeping the data point under pixel ``(x, y)`` where it is."""
        scale = float(np.clip(self.scale * factor, MIN_SCALE, MAX_SCALE))
        ax, ay = self.to_data(x, y)
        cx = ax - (x - self.width / 2) / scale
        cy = ay + (y - self.height / 2) / scale
        return replace(self, center=(cx, cy), scale=scale)

    def panned(self, dx: float, dy: float) -> Camera:
        """Move the content by ``(dx, dy)`` pixels."""
        return replace(self, center=(self.center[0] - dx / self.scale, self.center[1] + dy / self.scale))
