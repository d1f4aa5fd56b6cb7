"""What a projection job reports while it runs (plain, frozen values: they cross to the GUI thread):
:class:`Stage` (progress), :class:`Prepared` (points and thumbnails ready) and, between them, the
intermediate :class:`~studio.engine.projector.projection.Projection` layouts of t-SNE."""

from __future__ import annotations

from dataclasses import dataclass

from studio.engine.projector.embedding import Embedding
from studio.engine.projector.projection import Projection
from studio.engine.projector.search import SearchIndex
from studio.engine.projector.sprites import SpriteAtlas


@dataclass(frozen=True)
class Stage:
    """Progress: what is being done and how far (None: unknown)."""

    text: str
    fraction: float | None = None


@dataclass(frozen=True, eq=False)
class Prepared:
    """Features and thumbnails are ready (reported before projecting, so layouts can be shown)."""

    embedding: Embedding
    atlas: SpriteAtlas
    search: SearchIndex  # made in the worker: reading 50k text rows takes a moment
    compare: Embedding | None = None


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
