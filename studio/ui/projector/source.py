"""Where a projection's points come from: a checkpoint (or the live model) and images (the run's
validation split or a folder), turned into an :class:`Embedding` of one layer plus its sprite atlas.

Everything here is engine calls (``open_source``, ``embed_images``, ``sprite_images``, ``build_atlas``);
this module only picks them for the request and reports progress as :class:`Stage` events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studio.engine.data import DataConfig, prepare_image_data
from studio.engine.errors import StudioError
from studio.engine.graph_module import GraphModule
from studio.engine.projector import Embedding, ExtractProgress, SpriteAtlas, build_atlas
from studio.engine.projector.job import sprite_images
from studio.engine.projector.pipeline import embed_images
from studio.engine.projector.source import RowView, open_source
from studio.engine.spec.model import ModelSpec
from studio.engine.training.session import input_shape_of
from studio.ui.projector.reports import Stage

Report = Callable[[Any], None]


@dataclass(frozen=True, eq=False)
class LiveModel:
    """A snapshot of the model being edited: its spec and a copy of its module (not shared with the GUI)."""

    spec: ModelSpec
    module: GraphModule


def load_embedding(request, checkpoint: str | None, live: LiveModel | None, report: Report,
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
    if checkpoint is None and live is None:
        raise StudioError("no live model is available: choose a checkpoint")
    if checkpoint is None and request.data:
        return _live_on_folder(request, live, extracting, reading, should_stop, thumbnails)
    if checkpoint is None and not request.run_dir:
        raise StudioError("the live model has no run: choose a folder of images to project")
    # a checkpoint; or the live model on the run's validation split (read as the run reads it)
    source = open_source(checkpoint or request.run_dir, request.data or None, progress=reading)
    try:
        model = source.model if checkpoint is not None else live.module
        info = {"checkpoint": checkpoint or "live model", "step": source.checkpoint.step,
                "images": source.source}
        embedding = embed_images(model, source.images, [request.layer], normalization=source.normalization,
                                 labels=source.labels, class_names=source.class_names, paths=source.paths,
                                 output=source.output if checkpoint is not None else "",
                                 progress=extracting, should_stop=should_stop, info=info)[request.layer]
        if not thumbnails:
            return embedding, None
        report(Stage(f"Making {what}thumbnails", None))
        pixels, cache = sprite_images(source, request.cell)
        try:
            return embedding, build_atlas(pixels, request.cell, should_stop=should_stop)
        finally:
            if cache is not None:
                cache.close()
    finally:
        source.close()


def _live_on_folder(request, live: LiveModel, extracting, reading, should_stop,
                    thumbnails: bool) -> tuple[Embedding, SpriteAtlas | None]:
    data = prepare_image_data(DataConfig(request.data, val_split=0.0), input_shape_of(live.spec),
                              progress=reading)
    try:
        subset = data.train
        images = RowView(subset.cache.images, subset.rows)
        paths = [str(data.report.root) + "/" + name for name in subset.files]
        embedding = embed_images(live.module, images, [request.layer], normalization=data.normalization,
                                 labels=subset.labels, class_names=data.class_names, paths=paths,
                                 progress=extracting, should_stop=should_stop,
                                 info={"checkpoint": "live model", "images": request.data})[request.layer]
        atlas = build_atlas(images, request.cell, should_stop=should_stop) if thumbnails else None
        return embedding, atlas
    finally:
        data.close()
