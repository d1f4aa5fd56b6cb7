"""The window's projection job: load a model and images, extract features, build the sprite atlas,
project (streaming t-SNE layouts), index neighbours; optionally a second checkpoint for comparison.

The window runs :func:`run_projection` in a ``studio.ui.workers.Job``; it reports only plain values
(:class:`Stage`, :class:`Prepared`, :class:`Projection` layouts: dataclasses of numpy arrays).

    request = ProjectionRequest(run_dir, checkpoint, None, "fc1", MethodChoice("tsne"))
    result = run_projection(request, report=print, should_stop=stop.is_set)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.engine.errors import StudioError
from studio.engine.projector.custom import class_direction, custom
from studio.engine.projector.embedding import Embedding
from studio.engine.projector.methods import project
from studio.engine.projector.neighbours import NeighbourIndex
from studio.engine.projector.points import LiveSource, load_points
from studio.engine.projector.projection import Projection
from studio.engine.projector.reports import Prepared, Stage, tsne_stage
from studio.engine.projector.request import METHOD_TITLES, MethodChoice, ProjectionRequest
from studio.engine.projector.search import SearchIndex
from studio.engine.projector.sprites import SpriteAtlas

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
                   live: LiveSource | None = None, reuse: Prepared | None = None) -> ProjectionResult:
    """Everything the request asks, reporting :class:`Stage`, :class:`Prepared` and intermediate
    :class:`Projection` layouts; ``live`` gives the live model (for ``request.checkpoint`` None) and is
    called here; ``reuse`` skips extraction when only the method changed."""
    if reuse is None:
        snapshot = live() if live is not None and request.checkpoint is None else None
        embedding, atlas = load_points(request, request.checkpoint, snapshot, report, should_stop)
        assert atlas is not None  # load_points makes thumbnails unless told not to
        compare = None
        if request.compare:
            compare, _ = load_points(request, request.compare, snapshot, report, should_stop, "comparison ",
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
    title = METHOD_TITLES.get(choice.method, choice.method)
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


def _stages_only(report: Report) -> Report:
    """``report`` for the progress of a comparison: its stages, not its layouts."""
    return lambda event: report(event) if isinstance(event, Stage) else None


def _direction(embedding: Embedding, choice: MethodChoice, start: str, end: str,
               search: SearchIndex | None) -> np.ndarray:
    """Mean of the ``end`` points minus mean of the ``start`` points (classes or search queries)."""
    ends: list[np.ndarray] = []
    for name in (start, end):
        if choice.axis_kind == "classes":
            if name not in embedding.class_names:
                raise StudioError(f"'{name}' is not a class (classes: {', '.join(embedding.class_names)})")
            assert embedding.labels is not None  # an Embedding fills -1 for unknown labels
            ends.append(embedding.labels == embedding.class_names.index(name))
        else:
            assert search is not None  # make_projection indexes the points for search axes
            matches = search.find(name)
            if len(matches) == 0:
                raise StudioError(f"the search '{name}' matches no point")
            ends.append(matches)
    return class_direction(embedding.features, ends[0], ends[1])
