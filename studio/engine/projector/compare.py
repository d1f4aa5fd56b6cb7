"""Comparing the layouts of two checkpoints: align the second to the first, then blend between them.

t-SNE and PCA layouts of two checkpoints may come out rotated or mirrored relative to each other;
an orthogonal Procrustes fit (rotation/reflection and uniform scale, no distortion) removes that, so
an animation from one to the other shows how the points moved, not how the axes spun.
"""

from __future__ import annotations

import numpy as np


def normalised(coords: np.ndarray) -> np.ndarray:
    """``coords`` centred with unit root-mean-square radius (2-D, float64)."""
    xy = np.asarray(coords, dtype=np.float64)[:, :2]
    xy = xy - xy.mean(axis=0)
    radius = np.sqrt((xy ** 2).sum(axis=1).mean())
    return xy / radius if radius > 0 else xy


def align_layout(reference: np.ndarray, moving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(reference, moving)`` normalised, ``moving`` rotated/reflected to best match ``reference``."""
    a, b = normalised(reference), normalised(moving)
    u, _, vt = np.linalg.svd(b.T @ a)
    return a, b @ (u @ vt)


def blend(start: np.ndarray, end: np.ndarray, t: float) -> np.ndarray:
    """The layout a fraction ``t`` of the way from ``start`` to ``end`` (eased at both ends)."""
    t = float(np.clip(t, 0.0, 1.0))
    eased = t * t * (3 - 2 * t)
    return start + (end - start) * eased
