"""The projector's background work: load a model and images, extract features, build the sprite atlas,
project (streaming t-SNE layouts). Runs in a :class:`studio.ui.workers.Job`; every step is an engine
call, and only plain values (dataclasses of numpy arrays) are reported to the GUI thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.engine.errors import StudioError
from studio.engine.projector import (
    Embedding,
    NeighbourIndex,
    Projection,
    SpriteAtlas,
    class_direction,
    custom,
    project,
)
from studio.ui.projector.form import ProjectionRequest
from studio.ui.projector.methods import MethodChoice
from studio.ui.projector.reports import Prepared, Stage
from studio.ui.projector.search import SearchIndex
from studio.ui.projector.source import LiveModel, load_embedding

Report = Callable[[Any], None]
StopFlag = Callable[[], bool]


@dataclass(frozen=True, eq=False)
class ProjectionResult:
    """A finished job: the points, their layout(s), thumbnails and neighbour index."""

    request: ProjectionRequest
    embedding: Embedding
    projection: Projection
    atlas: SpriteAtlas
    index: NeighbourIndex
    compare: Embedding | None = None
    compare_projection: Projection | None = None


def run_projection(request: ProjectionRequest, report: Report, should_stop: StopFlag,
                   live: LiveModel | None = None, reuse: Prepared | None = None) -> ProjectionResult:
    """Everything the request asks, reporting :class:`Stage`, :class:`Prepared` and intermediate
    :class:`Projection` layouts; ``reuse`` skips extraction when only the method changed."""
    if reuse is None:
        embedding, atlas = load_embedding(request, request.checkpoint, live, report, should_stop)
        compare = None
        if request.compare:
            compare, _ = load_embedding(request, request.compare, live, report, should_stop, "comparison ",
                                        thumbnails=False)
        reuse = Prepared(embedding, atlas, SearchIndex(embedding), compare)
    report(reuse)
    report(Stage("Indexing neighbours", None))
    index = NeighbourIndex(reuse.embedding.features, "cosine")
    projection = make_projection(reuse.embedding, request.method, report, should_stop, search=reuse.search)
    second = None
    if reuse.compare is not None:
        second = make_projection(reuse.compare, request.method, _stages_only(report), should_stop,
                                 "comparison ")
    return ProjectionResult(request, reuse.embedding, projection, reuse.atlas, index, reuse.compare, second)


def make_projection(embedding: Embedding, choice: MethodChoice, report: Report, should_stop: StopFlag,
                    what: str = "", search: SearchIndex | None = None) -> Projection:
    """Project ``embedding`` as ``choice`` says (custom axes from class means or search queries in
    ``search``, the index of ``embedding``: made here when not given)."""
    if choice.method == "custom":
        report(Stage(f"Projecting {what}onto custom axes", None))
        if search is None and choice.axis_kind != "classes":
            search = SearchIndex(embedding)
        directions = [_direction(embedding, choice, a, b, search) for a, b in choice.axes]
        return custom(embedding.features, directions)
    title = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}.get(choice.method, choice.method)
    if choice.method != "tsne":
        first_umap = choice.method == "umap" and "umap" not in sys.modules
        note = " (the first UMAP of a session also compiles it: 10-30 s)" if first_umap else ""
        report(Stage(f"{title} of {len(embedding)} {what}points{note}", None))
        return project(embedding.features, choice.method, choice.dims, should_stop=should_stop,
                       **choice.options)
    report(Stage(f"t-SNE of {len(embedding)} {what}points: starting from their PCA", None))

    def on_layout(layout: Projection) -> None:
        report(layout)
        report(tsne_stage(layout, what))

    return project(embedding.features, choice.method, choice.dims, on_layout=on_layout,
                   should_stop=should_stop, **choice.options)


def tsne_stage(layout: Projection, what: str = "") -> Stage:
    """What t-SNE is doing after ``layout``: its neighbours (a busy indicator: no layout comes until they
    are known), then each phase's iterations of its own total (the early-exaggeration iterations come
    before the Iterations the user chose); the bar runs over both phases."""
    early = int(layout.params.get("early_iterations", 0))
    iterations = int(layout.params.get("iterations", layout.total_iterations - early))
    if layout.iteration == 0:
        k = min(len(layout) - 1, int(3 * layout.params.get("perplexity", 30)))
        return Stage(f"t-SNE: finding each {what}point's {k} nearest neighbours", None)
    fraction = layout.iteration / max(layout.total_iterations, 1)
    if layout.iteration <= early:
        return Stage(f"t-SNE {what}phase 1 of 2, early exaggeration: iteration {layout.iteration} of {early}",
                     fraction)
    return Stage(f"t-SNE {what}phase 2 of 2: iteration {layout.iteration - early} of {iterations}", fraction)


def _stages_only(report: Report) -> Report:
    """``report`` for the progress of a comparison: its stages, not its layouts."""
    return lambda event: report(event) if isinstance(event, Stage) else None


def _direction(embedding: Embedding, choice: MethodChoice, start: str, end: str,
               search: SearchIndex | None) -> np.ndarray:
    """Mean of the ``end`` points minus mean of the ``start`` points (classes or search queries)."""
    ends = []
    for name in (start, end):
        if choice.axis_kind == "classes":
            if name not in embedding.class_names:
                raise StudioError(f"'{name}' is not a class (classes: {', '.join(embedding.class_names)})")
            ends.append(embedding.labels == embedding.class_names.index(name))
        else:
            matches = search.find(name)
            if len(matches) == 0:
                raise StudioError(f"the search '{name}' matches no point")
            ends.append(matches)
    return class_direction(embedding.features, ends[0], ends[1])
