"""Screen-space picking with numpy: the point under the cursor, points in a rectangle or a lasso."""

from __future__ import annotations

import numpy as np


def pick(positions: np.ndarray, order: np.ndarray, x: float, y: float, half: float) -> int:
    """The point drawn last (topmost) whose ``2*half`` px square contains ``(x, y)``; -1 if none.

    ``positions`` are the screen centres of the drawn points ``order`` (in drawing order).
    """
    if len(order) == 0:
        return -1
    inside = (np.abs(positions[:, 0] - x) <= half) & (np.abs(positions[:, 1] - y) <= half)
    hits = np.flatnonzero(inside)
    return int(order[hits[-1]]) if len(hits) else -1


def in_rect(positions: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Mask of the positions inside the rectangle spanned by two corners."""
    lo_x, hi_x = min(x0, x1), max(x0, x1)
    lo_y, hi_y = min(y0, y1), max(y0, y1)
    return ((positions[:, 0] >= lo_x) & (positions[:, 0] <= hi_x)
            & (positions[:, 1] >= lo_y) & (positions[:, 1] <= hi_y))


def in_polygon(positions: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Mask of the positions inside ``polygon`` ([M, 2] vertices, closed implicitly; even-odd rule)."""
    inside = np.zeros(len(positions), dtype=bool)
    if len(polygon) < 3:
        return inside
    px, py = positions[:, 0], positions[:, 1]
    xs, ys = polygon[:, 0], polygon[:, 1]
    for i in range(len(polygon)):
        xa, ya, xb, yb = xs[i - 1], ys[i - 1], xs[i], ys[i]
        if ya == yb:
            continue
        crosses = (ya > py) != (yb > py)
        x_cross = xa + (py - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (px < x_cross)
    return inside
