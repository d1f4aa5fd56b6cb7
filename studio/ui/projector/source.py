"""Where a projection's points come from: a run's checkpoint (or the live model) and a set of images
(the run's validation split or a folder), turned into an :class:`Embedding` of one layer's features.

Only validation (or folder) images are decoded, with the run's classes, label rule, resizing and
normalisation, so the features are the ones the model saw while it was evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.engine.compiler import compile_spec
from studio.engine.data import (
    DataConfig,
    Normalization,
    load_images,
    load_split,
    resolve_normalization,
    scan_image_folder,
)
from studio.engine.data.split import positions_of
from studio.engine.errors import StudioError
from studio.engine.graph_module import GraphModule
from studio.engine.projector import Embedding, ExtractProgress, extract_features
from studio.engine.runs import RunReader, layout
from studio.engine.spec.model import ModelSpec
from studio.engine.training.config import TrainConfig
from studio.engine.training.device import choose_device
from studio.engine.training.resume import resolve_checkpoint
from studio.engine.training.session import input_shape_of
from studio.ui.projector.reports import Stage


@dataclass(frozen=True, eq=False)
class LiveModel:
    """A snapshot of the model being edited: its spec and a copy of its module (not shared with the GUI)."""

    spec: ModelSpec
    module: GraphModule


@dataclass(frozen=True, eq=False)
class Images:
    """Decoded images ``pixels`` (uint8 ``[N, C, H, W]``) of files ``paths`` with class ``labels``."""

    pixels: np.ndarray
    labels: np.ndarray
    paths: tuple[str, ...]
    class_names: tuple[str, ...]


def load_embedding(request, checkpoint: str | None, live: LiveModel | None, report: Callable[[Any], None],
                   should_stop: Callable[[], bool], what: str = "") -> tuple[Embedding, np.ndarray]:
    """Features of ``request.layer`` for the requested images, from ``checkpoint`` (or ``live``);
    returns the embedding and the images (for thumbnails)."""
    run_dir = Path(request.run_dir) if request.run_dir else None
    report(Stage(f"Loading the {what}model", None))
    model, spec, run_dir = _model(checkpoint, live, run_dir)
    reader = RunReader(run_dir) if run_dir is not None else None
    config = TrainConfig.from_dict(reader.config() or {}) if reader else TrainConfig()
    data_report = (reader.data_report() if reader else None) or {}
    classes = tuple(data_report.get("class_names") or ()) or None
    shape = input_shape_of(spec)

    def decoding(done: int, total: int) -> None:
        report(Stage(f"Reading {what}images ({done} of {total})", done / max(total, 1)))

    if request.data:
        images = folder_images(request.data, config.data, shape, classes, decoding)
        source = request.data
    else:
        if run_dir is None:
            raise StudioError("the live model has no run: choose a folder of images to project")
        images = validation_images(run_dir, config.data, shape, classes, decoding)
        source = "validation split"
    norm = data_report.get("normalization")
    if norm:
        normalization = Normalization(tuple(norm["mean"]), tuple(norm["std"]))
    else:
        rows = np.arange(len(images.pixels))
        normalization = resolve_normalization(config.data.normalize, images.pixels, rows)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    mean = torch.tensor(normalization.mean, device=device).view(1, -1, 1, 1)
    std = torch.tensor(normalization.std, device=device).view(1, -1, 1, 1)

    def extracting(progress: ExtractProgress) -> None:
        report(Stage(f"Extracting {what}features ({progress.done} of {progress.total})",
                     progress.done / max(progress.total, 1)))

    result = extract_features(model, images.pixels, [request.layer], batch_size=128,
                              preprocess=lambda batch: (batch.float() / 255.0 - mean) / std,
                              progress=extracting, should_stop=should_stop)
    predictions = confidence = None
    if result.logits is not None and result.logits.shape[1] == len(images.class_names):
        probabilities = torch.softmax(torch.from_numpy(result.logits), dim=1)
        confidence, predictions = (t.numpy() for t in probabilities.max(dim=1))
    info = {"checkpoint": checkpoint or "live model", "source": source, "run": str(run_dir or "")}
    embedding = Embedding(result.features[request.layer], images.labels, images.class_names, images.paths,
                          predictions, confidence, layer=request.layer, info=info)
    return embedding, images.pixels


def _model(checkpoint: str | None, live: LiveModel | None,
           run_dir: Path | None) -> tuple[GraphModule, ModelSpec, Path | None]:
    if checkpoint is None:
        if live is None:
            raise StudioError("no live model is available: choose a checkpoint")
        return live.module, live.spec, run_dir
    store, info, found_run = resolve_checkpoint(checkpoint)
    run_dir = found_run or run_dir
    spec = store.load_spec(info) or (RunReader(run_dir).spec() if run_dir else None)
    if spec is None:
        raise StudioError(f"checkpoint {info.name} records no model spec and has no run directory")
    model = compile_spec(spec, device=choose_device("auto", amp="off", channels_last="off").device)
    try:
        model.load_state_dict(store.load_weights(info))
    except RuntimeError as exc:
        reason = str(exc).splitlines()[0]
        raise StudioError(f"checkpoint {info.name} does not fit its model: {reason}") from None
    return model, spec, run_dir


def validation_images(run_dir: Path, data: DataConfig, shape: tuple[int, int, int],
                      classes: tuple[str, ...] | None, progress) -> Images:
    """The run's validation images (its saved split), decoded like training decoded them."""
    split_file = run_dir / layout.SPLIT
    if not split_file.exists():
        raise StudioError(f"{run_dir.name} has no saved validation split: choose a folder of images")
    split = load_split(split_file)
    if not split.val:
        raise StudioError("the run has no validation images: choose a folder of images")
    root = data.val_root if split.mode == "folders" and data.val_root else data.root
    index = scan_image_folder(root, data.labels, classes)
    rows, _ = positions_of(index.files, split.val)
    return _decode(index, rows, data, shape, progress)


def folder_images(folder: str, data: DataConfig, shape: tuple[int, int, int],
                  classes: tuple[str, ...] | None, progress) -> Images:
    """Every image of ``folder`` (class sub-folders, or the run's label rule)."""
    index = scan_image_folder(folder, data.labels, classes)
    return _decode(index, np.arange(len(index)), replace(data, root=folder), shape, progress)


def _decode(index, rows: np.ndarray, data: DataConfig, shape, progress) -> Images:
    if len(rows) == 0:
        raise StudioError(f"no image of {index.root} can be projected")
    paths = [index.root / index.files[r] for r in rows]
    cache = load_images(paths, shape, resize=data.resize, storage="memory", progress=progress)
    good = np.flatnonzero(cache.ok)
    if len(good) == 0:
        raise StudioError(f"none of the {len(paths)} images of {index.root} could be read")
    return Images(np.ascontiguousarray(cache.images[good]), index.labels[rows[good]],
                  tuple(str(paths[i]) for i in good), index.class_names)
