"""The whole embedding job behind ``studio embed``: open a checkpoint and its images, extract the
features of the chosen layers, project them, score neighbour label agreement, build the sprite
atlas and (optionally) the TensorBoard export, and write everything into one folder.

    summary = run_embed_job(EmbedJob("runs/demo", "runs/demo/projector", layers=("fc1",)), progress)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.atomic import atomic_write_text
from studio.engine.projector.embedding import Embedding
from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.layer import embedding_layer
from studio.engine.projector.methods import project
from studio.engine.projector.neighbours import LabelAgreement, NeighbourIndex, label_agreement
from studio.engine.projector.pipeline import embed_source
from studio.engine.projector.projection import Projection
from studio.engine.projector.source import open_source, sprite_pixels
from studio.engine.projector.sprites import build_atlas
from studio.engine.projector.tensorboard_export import TensorBoardExport, export_tensorboard

Progress = Callable[[str, int, int], None]  # (stage, done, total)
AGREEMENT_SAMPLE = 5000  # query points for the k-NN label agreement (all points are searched)


@dataclass(frozen=True)
class EmbedJob:
    """What ``studio embed`` does. ``layers`` empty: the embedding layer (``layer.embedding_layer``, the
    window's default too). ``method`` none
    skips the projection; ``sprite_size`` None skips the sprites."""

    target: str
    out: str
    data_root: str | None = None
    layers: tuple[str, ...] = ()
    method: str = "pca"
    dims: int = 2
    reduce: str = "auto"
    sprite_size: int | None = 32
    tensorboard: bool = False
    neighbours: int = 10
    metric: str = "cosine"
    perplexity: float = 30.0
    seed: int = 0
    batch_size: int = 128
    device: str = "auto"


@dataclass(frozen=True)
class LayerSummary:
    """One layer's files and scores."""

    layer: str
    dim: int
    embedding: str
    projection: str | None = None
    explained_variance: list[float] | None = None
    agreement: LabelAgreement | None = None


@dataclass(frozen=True)
class EmbedSummary:
    """What a job wrote (``summary.json`` in the output folder holds the same)."""

    out: str
    checkpoint: str
    images: str
    points: int
    accuracy: float | None
    layers: tuple[LayerSummary, ...]
    sprites: str | None = None
    tensorboard: TensorBoardExport | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tensorboard"] = None if self.tensorboard is None else {
            "directory": str(self.tensorboard.directory), "points": self.tensorboard.points,
            "total": self.tensorboard.total, "tensors": list(self.tensorboard.tensors),
            "sprite": self.tensorboard.sprite, "note": self.tensorboard.note}
        return data


def run_embed_job(job: EmbedJob, progress: Progress | None = None,
                  should_stop: Callable[[], bool] | None = None) -> EmbedSummary:
    """Run ``job``; ProjectorError (or another StudioError) names what is wrong with its input."""
    report = progress or (lambda stage, done, total: None)
    out = Path(job.out)
    source = open_source(job.target, job.data_root, device=job.device, progress=report)
    try:
        layers = job.layers or (embedding_layer(source.spec, source.output),)
        embeddings = embed_source(source, layers, reduce=job.reduce, batch_size=job.batch_size,
                                  progress=lambda p: report("features", p.done, p.total),
                                  should_stop=should_stop)
        out.mkdir(parents=True, exist_ok=True)
        summaries, projections = [], []
        for emb in embeddings.values():
            layer_summary, projection = _layer(job, out, emb, report, should_stop)
            summaries.append(layer_summary)
            if projection is not None:
                projections.append(projection)
        first = next(iter(embeddings.values()))
        sprites = export = None
        with sprite_pixels(source, job.sprite_size) as images:
            if images is not None:
                assert job.sprite_size is not None  # sprite_pixels yields images only for a size
                atlas = build_atlas(images, job.sprite_size, progress=lambda d, t: report("sprites", d, t),
                                    should_stop=should_stop)
                sprites = str(atlas.save(out))
            if job.tensorboard:
                report("tensorboard", 0, 1)
                export = export_tensorboard(list(embeddings.values()), out / "tensorboard", images=images,
                                            cell=job.sprite_size or 32, projections=projections)
                report("tensorboard", 1, 1)
        correct = first.correct
        assert source.checkpoint is not None  # open_source always reads a checkpoint
        summary = EmbedSummary(str(out), str(source.checkpoint.path), source.source, len(first),
                               None if correct is None else float(correct.mean()), tuple(summaries),
                               sprites, export, tuple(source.data.report.warnings))
    finally:
        source.close()
    atomic_write_text(out / "summary.json", json.dumps(summary.to_dict(), indent=1))
    return summary


def _layer(job: EmbedJob, out: Path, emb: Embedding, report: Progress,
           should_stop: Callable[[], bool] | None) -> tuple[LayerSummary, Projection | None]:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in emb.layer)
    path = emb.save(out / stem)
    agreement = None
    assert emb.labels is not None  # an Embedding fills -1 for unknown labels
    if (emb.labels >= 0).sum() > job.neighbours:
        index = NeighbourIndex(emb.features, job.metric)
        agreement = label_agreement(index, emb.labels, job.neighbours, sample=AGREEMENT_SAMPLE, seed=job.seed)
    if job.method == "none":
        return LayerSummary(emb.layer, emb.dim, str(path), agreement=agreement), None
    stage = f"{job.method} {emb.layer}"
    options: dict[str, Any] = {"perplexity": job.perplexity} if job.method == "tsne" else {}
    if job.method == "tsne":
        options["on_layout"] = lambda p: report(stage, p.iteration, p.total_iterations)
    projection = project(emb.features, job.method, job.dims, seed=job.seed, should_stop=should_stop,
                         **options)
    if not projection.complete:
        raise ProjectorError(f"{job.method} of {emb.layer} was stopped")
    saved = projection.save(out / f"{stem}-{job.method}-{job.dims}d")
    variance = None if projection.explained_variance is None else projection.explained_variance.tolist()
    return LayerSummary(emb.layer, emb.dim, str(path), str(saved), variance, agreement), projection

