"""One entry point for every projection method, so the GUI and the command line choose by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.pca import pca
from studio.engine.projector.projection import Projection
from studio.engine.projector.tsne import tsne
from studio.engine.projector.umap_layout import umap

METHODS = ("pca", "tsne", "umap")


def project(features: np.ndarray, method: str = "pca", dims: int = 2, *, seed: int = 0,
            on_layout: Callable[[Projection], None] | None = None,
            should_stop: Callable[[], bool] | None = None, **options: Any) -> Projection:
    """Project with ``method`` (pca, tsne, umap); ``options`` go to that method.

    ``on_layout`` and ``should_stop`` apply to t-SNE, the one method with intermediate layouts.
    """
    if method == "pca":
        return pca(features, dims, seed=seed, **options)
    if method == "tsne":
        return tsne(features, dims, seed=seed, on_layout=on_layout, should_stop=should_stop, **options)
    if method == "umap":
        return umap(features, dims, seed=seed, **options)
    raise ProjectorError(f"unknown projection method '{method}' (choose from {', '.join(METHODS)}; "
                         "custom directions go through projector.custom)")
