"""TensorBoard's "custom" projection: coordinates along chosen directions of the feature space.

A direction is usually the difference of two class means (``class_direction``: from "cat" towards
"dog"), or any vector of the feature dimension.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.projection import Projection, check_features


def class_direction(features: np.ndarray, selected_from: np.ndarray, selected_to: np.ndarray) -> np.ndarray:
    """Mean of the ``selected_to`` points minus mean of the ``selected_from`` points (boolean masks
    or index arrays), e.g. ``labels == cat`` and ``labels == dog``."""
    x = np.asarray(features, dtype=np.float32)
    a, b = x[np.asarray(selected_from)], x[np.asarray(selected_to)]
    if len(a) == 0 or len(b) == 0:
        raise ProjectorError("both ends of a direction need at least one point")
    return b.mean(axis=0, dtype=np.float64) - a.mean(axis=0, dtype=np.float64)


def custom(features: np.ndarray, directions: Sequence[np.ndarray], *,
           orthogonalize: bool = True) -> Projection:
    """Project the centred features onto 2 or 3 ``directions`` (unit-normalised).

    With ``orthogonalize`` (the default), each direction has its component along the earlier ones
    removed (Gram-Schmidt), so the axes are independent.
    """
    x = check_features(features, len(directions))
    basis: list[np.ndarray] = []
    for index, direction in enumerate(directions):
        vector = np.asarray(direction, dtype=np.float64).reshape(-1)
        if len(vector) != x.shape[1]:
            raise ProjectorError(f"direction {index + 1} has {len(vector)} values; the features have "
                                 f"{x.shape[1]}")
        if orthogonalize:
            for previous in basis:
                vector = vector - (vector @ previous) * previous
        norm = np.linalg.norm(vector)
        if not np.isfinite(norm) or norm < 1e-12:
            raise ProjectorError(f"direction {index + 1} is zero"
                                 + (" once made independent of the earlier ones" if orthogonalize else ""))
        basis.append(vector / norm)
    matrix = np.stack(basis, axis=1)
    coords = (x - x.mean(axis=0, dtype=np.float64)) @ matrix
    return Projection(coords, "custom", None, {"dims": len(basis), "orthogonalize": orthogonalize,
                                               "directions": matrix.T.tolist()})
