"""UMAP through umap-learn, an optional extra (``pip install studio[umap]``)."""

from __future__ import annotations

import numpy as np

from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.projection import Projection, check_features

MISSING = "UMAP needs the optional package umap-learn: pip install studio[umap]"


def umap(features: np.ndarray, dims: int = 2, *, neighbours: int = 15, min_dist: float = 0.1,
         metric: str = "euclidean", seed: int | None = 0) -> Projection:
    """Embed ``features`` with UMAP. A seed makes the layout reproducible but runs single-threaded;
    ``seed=None`` lets umap-learn use every core."""
    try:
        import umap as umap_learn
    except ImportError:
        raise ProjectorError(MISSING) from None
    x = check_features(features, dims, minimum=4)
    neighbours = int(min(neighbours, len(x) - 1))
    init = "spectral" if len(x) > dims + 2 else "random"  # the spectral start needs more points than dims
    params = {"dims": dims, "neighbours": neighbours, "min_dist": min_dist, "metric": metric,
              "initialization": init}
    reducer = umap_learn.UMAP(n_components=dims, n_neighbors=neighbours, min_dist=min_dist, metric=metric,
                              init=init, random_state=seed, n_jobs=1 if seed is not None else -1)
    try:
        coords = reducer.fit_transform(x)
    except ValueError as exc:
        raise ProjectorError(f"UMAP failed: {exc}") from None
    return Projection(coords, "umap", seed, params)
