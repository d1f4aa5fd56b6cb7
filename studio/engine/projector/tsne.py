"""t-SNE through openTSNE, streaming intermediate layouts so a view can animate them.

Same optimisation as ``openTSNE.TSNE(...).fit`` with its defaults, run phase by phase so that the
PCA initialisation can be reported first (iteration 0, within milliseconds), then a layout every
``every`` iterations while the early-exaggeration and normal phases run. ``should_stop`` is polled
at each report; a stopped run returns its last layout with ``complete=False``.

The neighbour index is built here with the method openTSNE's "auto" picks for dense euclidean data
(exact below 1,000 points, Annoy above): left to openTSNE, choosing it imports pynndescent when that
is installed (UMAP brings it), which loads or compiles numba code first (1-2 s, 10-30 s on a fresh
install) although it is never used for such data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.projection import Projection, check_features

LayoutCallback = Callable[[Projection], None]


def tsne(features: np.ndarray, dims: int = 2, *, perplexity: float = 30.0, iterations: int = 500,
         early_iterations: int = 250, learning_rate: float | str = "auto", seed: int = 0, every: int = 10,
         n_jobs: int | None = None, on_layout: LayoutCallback | None = None,
         should_stop: Callable[[], bool] | None = None) -> Projection:
    """Embed ``features`` with t-SNE in ``dims`` dimensions (the defaults are openTSNE's).

    ``learning_rate`` "auto" is N / exaggeration per phase (openTSNE's default). ``on_layout``
    receives every intermediate layout (a copy, safe to hand to another thread).
    Perplexity is lowered for tiny sets (at most (N - 1) / 3), and the value used is recorded.
    ``n_jobs`` defaults to the cores not already busy: openTSNE's threads spin, and on two cores
    shared with a training run two threads took 7x longer than one.
    """
    try:
        from openTSNE import TSNE, affinity, initialization
        from openTSNE.tsne import OptimizationInterrupt
    except ImportError:
        raise ProjectorError("t-SNE needs the optional package openTSNE: pip install studio[tsne]") from None
    x = check_features(features, dims, minimum=4)
    perplexity = float(min(perplexity, (len(x) - 1) / 3))
    gradient = "bh" if dims == 3 or len(x) < 10_000 else "fft"
    params = {"dims": dims, "perplexity": perplexity, "iterations": iterations,
              "early_iterations": early_iterations, "learning_rate": learning_rate, "initialization": "pca",
              "negative_gradient_method": gradient}
    total = early_iterations + iterations
    stop = should_stop or (lambda: False)
    state: dict[str, Any] = {"offset": 0, "last": None}  # the phase's first iteration, the last layout

    def report(iteration: int, error: float | None, coords: np.ndarray, complete: bool = False) -> Projection:
        layout = Projection(np.array(coords, dtype=np.float32), "tsne", seed, params, iteration=iteration,
                            total_iterations=total, complete=complete,
                            error=None if error is None else float(error))
        state["last"] = layout
        if on_layout is not None and not complete:
            on_layout(layout)
        return layout

    def callback(iteration: int, error: float, embedding: np.ndarray) -> bool:
        report(state["offset"] + iteration, error, embedding)
        return bool(stop())

    try:
        if x.shape[1] >= dims:
            init = initialization.pca(x, dims, random_state=seed)
        else:  # fewer values per point than layout dimensions: no PCA start
            params["initialization"] = "random"
            init = initialization.random(len(x), dims, random_state=seed)
        report(0, None, init)
        if stop():
            return state["last"]
        jobs = n_jobs or free_cores()
        params["n_jobs"] = jobs
        affinities = affinity.MultiscaleMixture(perplexities=perplexity, n_jobs=jobs, random_state=seed,
                                                knn_index=neighbour_index(x, perplexity, jobs, seed))
        if stop():
            return state["last"]
        model = TSNE(dims, perplexity=perplexity, n_iter=iterations, early_exaggeration_iter=early_iterations,
                     learning_rate=learning_rate, negative_gradient_method=gradient, n_jobs=jobs,
                     random_state=seed, callbacks=callback, callbacks_every_iters=every)
        embedding = model.prepare_initial(affinities=affinities, initialization=init)
        embedding.optimize(early_iterations, exaggeration=model.early_exaggeration,
                           momentum=model.initial_momentum, inplace=True, propagate_exception=True)
        state["offset"] = early_iterations
        embedding.optimize(iterations, exaggeration=model.exaggeration, momentum=model.final_momentum,
                           inplace=True, propagate_exception=True)
    except OptimizationInterrupt:
        return state["last"]
    except (ValueError, MemoryError) as exc:
        raise ProjectorError(f"t-SNE failed: {exc}") from None
    return report(total, embedding.kl_divergence, embedding, complete=True)


def neighbour_index(x: np.ndarray, perplexity: float, n_jobs: int, seed: int):
    """openTSNE's "auto" neighbour index for dense euclidean ``x`` (exact below 1,000 points, else
    Annoy), with its k (3 x perplexity), picked without importing pynndescent."""
    from openTSNE import nearest_neighbors

    method = nearest_neighbors.Sklearn if len(x) < 1000 else nearest_neighbors.Annoy
    return method(x, min(len(x) - 1, int(3 * perplexity)), "euclidean", n_jobs=n_jobs, random_state=seed)


def preload() -> bool:
    """Import openTSNE now (1-2 s: it brings scikit-learn), so that a first t-SNE starts as fast as a
    repeat; False when it is not installed. The GUI calls it in a worker soon after start."""
    try:
        import openTSNE.affinity  # noqa: F401
        import openTSNE.tsne  # noqa: F401
    except ImportError:
        return False
    return True


def free_cores() -> int:
    """Cores this process may use minus the system's recent load (never below 1)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return cores
    return max(1, min(cores, int(cores - load + 1)))
