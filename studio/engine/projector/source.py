"""A checkpoint's model with its weights, and the images to run it on: a run's validation split or a
folder, read with the run's classes, label rule, resize mode and normalisation. The projector embeds
them; ``training.predictions`` scores them. The live model (the one being edited) is a source too: on a
run's images (:func:`with_model`) or on a folder (:func:`open_folder`).

    source = open_source("runs/demo")                     # best (else latest) checkpoint, validation split
    source = open_source("runs/demo/checkpoints/ckpt-000000300.safetensors", data_root="photos")
    ...; source.close()                                   # releases the decoded image cache
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from studio.engine.checkpoints import CheckpointInfo, CheckpointStore
from studio.engine.checkpoints.store import CheckpointVanished
from studio.engine.compiler import compile_spec
from studio.engine.data import (
    DataConfig,
    ImageData,
    Normalization,
    Subset,
    load_images,
    load_split,
    prepare_image_data,
)
from studio.engine.graph_module import GraphModule
from studio.engine.projector.errors import ProjectorError
from studio.engine.runs import RunReader, layout
from studio.engine.spec.model import ModelSpec
from studio.engine.training.config import TrainConfig
from studio.engine.training.device import choose_device
from studio.engine.training.losses import bind_losses
from studio.engine.training.resume import resolve_checkpoint
from studio.engine.training.session import input_shape_of

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class RowView:
    """Rows ``rows`` of an image array, sliced lazily (a memmap cache is read a batch at a time)."""

    def __init__(self, images: np.ndarray, rows: np.ndarray) -> None:
        self.images, self.rows = images, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: slice | np.ndarray) -> np.ndarray:
        return self.images[self.rows[index]]


@dataclass(eq=False)
class EmbedSource:
    """A model in eval mode and the images to embed; ``source`` says where the images come from,
    ``name`` what the model is when it is not the checkpoint's (the live model)."""

    model: GraphModule
    spec: ModelSpec
    checkpoint: CheckpointInfo | None  # (None: the live model on a folder)
    data: ImageData
    subset: Subset
    root: Path
    source: str
    output: str | None  # "" = the model's first output
    resize: str = "crop"  # how the files were fitted to the input size (the data config's)
    name: str | None = None

    @property
    def title(self) -> str:
        """What the model is: ``name``, else the checkpoint file."""
        if self.name:
            return self.name
        assert self.checkpoint is not None  # a model without a checkpoint has a name
        return str(self.checkpoint.path)

    @property
    def images(self) -> RowView:
        """uint8 ``[N, C, H, W]`` model-size images, in point order."""
        return RowView(self.subset.cache.images, self.subset.rows)

    @property
    def device(self) -> torch.device:
        return next((p.device for p in self.model.parameters()), torch.device("cpu"))

    @property
    def labels(self) -> np.ndarray:
        return self.subset.labels

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.data.class_names

    @property
    def normalization(self) -> Normalization:
        return self.data.normalization

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(str(self.root / name) for name in self.subset.files)

    def close(self) -> None:
        self.data.close()


def open_source(target: str | os.PathLike | CheckpointInfo, data_root: str | os.PathLike | None = None, *,
                device: str = "auto", progress: Progress | None = None) -> EmbedSource:
    """The checkpoint ``target`` (a file, or a run directory: its best checkpoint, else its latest) and
    the images of ``data_root``, or of the run's validation split when no folder is given."""
    info, run_dir, recorded, weights = _loaded_checkpoint(target)
    reader = RunReader(run_dir) if run_dir is not None else None
    spec = recorded or (reader.spec() if reader else None)
    if spec is None:
        raise ProjectorError(f"checkpoint {info.name} records no model spec and has no run directory")
    config = TrainConfig.from_dict(reader.config() or {}) if reader else TrainConfig()
    report = (reader.data_report() if reader else None) or {}
    classes = tuple(report["class_names"]) if report.get("class_names") else None
    norm = report.get("normalization")
    normalization = Normalization(tuple(norm["mean"]), tuple(norm["std"])) if norm else None
    shape = input_shape_of(spec)
    if data_root is None:
        if run_dir is None or not (run_dir / layout.SPLIT).exists():
            raise ProjectorError(f"checkpoint {info.name} has no run directory with a validation split: "
                                 "choose a folder of images")
        data = prepare_image_data(config.data, shape, saved_split=load_split(run_dir / layout.SPLIT),
                                  class_names=classes, normalization=normalization, progress=progress)
        subset, root, source = data.val, data.report.val_root or data.report.root, "validation split"
        if subset is None:
            data.close()
            raise ProjectorError("the run has no validation images: choose a folder of images")
    else:
        folder = replace(config.data, root=str(data_root), val_root=None, val_split=0.0)
        data = prepare_image_data(folder, shape, class_names=classes, normalization=normalization,
                                  progress=progress)
        subset, root, source = data.train, data.report.root, str(data_root)
    try:
        model = compile_spec(spec, device=choose_device(device, amp="off", channels_last="off").device)
        try:
            model.load_state_dict(weights)
        except RuntimeError as exc:
            raise ProjectorError(f"checkpoint {info.name} does not fit its model: "
                                 f"{str(exc).splitlines()[0]}") from None
        output = bind_losses(config.losses, model.output_names)[0].output if model.output_names else None
    except BaseException:
        data.close()
        raise
    return EmbedSource(model.eval(), spec, info, data, subset, Path(root), source, output, config.data.resize)


def open_folder(spec: ModelSpec, model: GraphModule, data_root: str | os.PathLike, *,
                name: str = "live model", progress: Progress | None = None) -> EmbedSource:
    """``model`` (built from ``spec``, e.g. the live model) on every image of a folder, normalised by the
    folder's own statistics (there is no run to take them from)."""
    data = prepare_image_data(DataConfig(str(data_root), val_split=0.0), input_shape_of(spec),
                              progress=progress)
    return EmbedSource(model, spec, None, data, data.train, Path(data.report.root), str(data_root), "",
                       name=name)


def with_model(source: EmbedSource, spec: ModelSpec, model: GraphModule,
               name: str = "live model") -> EmbedSource:
    """``source``'s images (read as its run reads them) for another model of the same input, e.g. the
    live model on a run's validation split; closing either closes both."""
    return replace(source, model=model, spec=spec, output="", name=name)


@contextmanager
def sprite_pixels(source: EmbedSource, size: int | None) -> Iterator:
    """Thumbnail sources: the decoded model-size images, or the files decoded again at ``size`` when
    that is larger (sharper sprites; released afterwards); None when ``size`` is None."""
    if size is None:
        yield None
        return
    channels, height, width = source.data.shape
    if size <= min(height, width):
        yield source.images
        return
    cache = load_images(source.paths, (channels, size, size), resize=source.resize)
    try:
        if not cache.ok.all():
            raise ProjectorError("some images could not be read again for the sprites")
        yield cache.images
    finally:
        cache.close()


def normalizer(normalization: Normalization, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 pixels -> ``(pixel / 255 - mean) / std`` per channel, as the training batches are made."""
    mean = torch.tensor(normalization.mean, dtype=torch.float32, device=device).view(1, -1, 1, 1)
    std = torch.tensor(normalization.std, dtype=torch.float32, device=device).view(1, -1, 1, 1)
    return lambda batch: (batch.float() / 255.0 - mean) / std


def _loaded_checkpoint(target) -> tuple[CheckpointInfo, Path | None, ModelSpec | None, dict]:
    """The checkpoint ``target`` names, its recorded spec and its weights, read at once (decoding the
    images takes a while, and a live run prunes its old checkpoints): one that vanishes while read is
    replaced by the run's new pick."""
    attempts = 5 if not isinstance(target, CheckpointInfo) and Path(target).is_dir() else 1
    attempt = 1
    while True:
        store, info, run_dir = _checkpoint(target)
        try:
            return info, run_dir, store.load_spec(info), store.load_weights(info)
        except CheckpointVanished:
            if attempt == attempts:
                raise
            attempt += 1


def _checkpoint(target) -> tuple[CheckpointStore, CheckpointInfo, Path | None]:
    path = Path(target) if not isinstance(target, CheckpointInfo) else None
    if path is not None and path.is_dir() and (path / layout.CHECKPOINTS).is_dir():
        store = CheckpointStore(path / layout.CHECKPOINTS, keep_last=None)
        best = store.best()
        if best is not None:
            return store, best, path
    return resolve_checkpoint(target)
