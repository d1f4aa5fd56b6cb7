"""``Projection``: low-dimensional coordinates of every point plus how to reproduce them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.files import load_bundle, save_bundle

FORMAT = "studio.projection/1"


@dataclass(frozen=True, eq=False)
class Projection:
    """Coordinates ``[N, dims]`` from ``method`` with its ``seed`` and ``params``.

    t-SNE reports intermediate layouts as projections with ``complete=False`` and the iteration
    reached; PCA adds the share of variance each returned component explains.
    """

    coords: np.ndarray
    method: str
    seed: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    explained_variance: np.ndarray | None = None
    iteration: int = 0
    total_iterations: int = 0
    complete: bool = True
    error: float | None = None

    def __post_init__(self) -> None:
        coords = np.ascontiguousarray(self.coords, dtype=np.float32)
        if coords.ndim != 2 or coords.shape[1] not in (1, 2, 3):
            raise ProjectorError(f"a projection has 1 to 3 coordinates per point, got shape {coords.shape}")
        object.__setattr__(self, "coords", coords)

    @property
    def dims(self) -> int:
        return self.coords.shape[1]

    def __len__(self) -> int:
        return len(self.coords)

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (.npz coordinates) and its .json (method, seed, parameters)."""
        arrays = {"coords": self.coords}
        if self.explained_variance is not None:
            arrays["explained_variance"] = np.asarray(self.explained_variance, dtype=np.float64)
        return save_bundle(path, arrays, {
            "format": FORMAT, "method": self.method, "seed": self.seed, "params": self.params,
            "iteration": self.iteration, "total_iterations": self.total_iterations,
            "complete": self.complete, "error": self.error})

    @classmethod
    def load(cls, path: str | Path) -> Projection:
        arrays, meta = load_bundle(path, FORMAT)
        try:
            return cls(arrays["coords"], meta["method"], meta["seed"], meta["params"],
                       arrays.get("explained_variance"), meta["iteration"], meta["total_iterations"],
                       meta["complete"], meta["error"])
        except KeyError as exc:
            raise ProjectorError(f"{path}: incomplete projection file (missing {exc})") from None


def check_features(features: np.ndarray, dims: int, minimum: int = 2) -> np.ndarray:
    """``features`` as a float32 [N, D] array with at least ``minimum`` points; clear errors otherwise."""
    array = np.ascontiguousarray(features, dtype=np.float32)
    if array.ndim != 2:
        raise ProjectorError(f"features must be 2-D (points x values), got shape {array.shape}")
    if dims not in (2, 3):
        raise ProjectorError(f"projections are 2-D or 3-D, not {dims}-D")
    if len(array) < minimum:
        raise ProjectorError(f"need at least {minimum} points, got {len(array)}")
    if not np.isfinite(array).all():
        raise ProjectorError("the features contain NaN or infinite values")
    return array
