"""Where a projection's points come from: a checkpoint (or the live model) and images (the run's
validation split or a folder), turned into an :class:`Embedding` of one layer plus its sprite atlas.

The same calls as ``studio embed`` (:mod:`studio.engine.projector.job`): ``open_source`` (or
``open_folder`` / ``with_model`` for the live model), ``embed_source``, ``sprite_pixels`` and
``build_atlas``; this module picks them for a :class:`ProjectionRequest` and reports :class:`Stage`\\ s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.engine.checkpoints.live import LiveModel, LiveSnapshot
from studio.engine.compiler import compile_spec
from studio.engine.errors import StudioError
from studio.engine.projector.embedding import Embedding
from studio.engine.projector.features import ExtractProgress
from studio.engine.projector.pipeline import embed_source
from studio.engine.projector.reports import Stage
from studio.engine.projector.request import ProjectionRequest
from studio.engine.projector.source import open_folder, open_source, sprite_pixels, with_model
from studio.engine.projector.sprites import SpriteAtlas, build_atlas
from studio.engine.spec.model import ModelSpec

Report = Callable[[Any], None]
LiveSource = Callable[[], LiveSnapshot]  # called in the worker: the live model, compiled and copied there


def live_source(live: LiveModel | None, spec: ModelSpec) -> LiveSource:
    """The edited model for a worker: ``live``'s module for ``spec`` (restored weights included; built
    there if the spec changed), else ``spec`` compiled afresh. ``spec`` must be a copy no one edits."""

    def snapshot() -> LiveSnapshot:
        try:
            return live.snapshot(spec) if live is not None else LiveSnapshot(spec, compile_spec(spec, "cpu"))
        except StudioError as exc:
            raise StudioError(f"the model on the canvas does not compile: {exc}") from None

    return snapshot


def load_points(request: ProjectionRequest, checkpoint: str | None, live: LiveSnapshot | None, report: Report,
                should_stop: Callable[[], bool], what: str = "",
                thumbnails: bool = True) -> tuple[Embedding, SpriteAtlas | None]:
    """Features of ``request.layer`` for the requested images from ``checkpoint`` (None: ``live``), and
    the sprite atlas of those images at ``request.cell`` pixels (when ``thumbnails``)."""

    def reading(stage: str, done: int, total: int) -> None:
        report(Stage(f"Reading {what}images ({done} of {total})", done / max(total, 1)))

    def extracting(progress: ExtractProgress) -> None:
        report(Stage(f"Extracting {what}features ({progress.done} of {progress.total})",
                     progress.done / max(progress.total, 1)))

    report(Stage(f"Loading the {what}model and images", None))
    if checkpoint is not None:
        source = open_source(checkpoint, request.data or None, progress=reading)
    elif live is None:
        raise StudioError("no live model is available: choose a checkpoint")
    elif request.data:
        source = open_folder(live.spec, live.module, request.data, progress=reading)
    elif not request.run_dir:
        raise StudioError("the live model has no run: choose a folder of images to project")
    else:  # the live model on the run's validation split (read as the run reads it)
        source = with_model(open_source(request.run_dir, progress=reading), live.spec, live.module)
    try:
        embedding = embed_source(source, [request.layer], progress=extracting,
                                 should_stop=should_stop)[request.layer]
        if not thumbnails:
            return embedding, None
        report(Stage(f"Making {what}thumbnails", None))
        with sprite_pixels(source, request.cell) as pixels:
            return embedding, build_atlas(pixels, request.cell, should_stop=should_stop)
    finally:
        source.close()
