"""Per-image predictions of a checkpoint: the images behind each confusion-matrix cell and the
misclassified ones with their confidence (what the GUI's results page shows).

    result = predict_run("runs/demo")                      # best checkpoint on the run's validation split
    result = predict_run("runs/demo", data_root="test/")   # ... or on another folder
    result.confusion(); result.cell(true=2, predicted=5); result.misclassified()
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.engine.checkpoints import CheckpointInfo, CheckpointStore
from studio.engine.compiler import compile_spec
from studio.engine.data import BatchLoader, Normalization, load_split, prepare_image_data
from studio.engine.errors import StudioError
from studio.engine.runs import RunReader, layout
from studio.engine.training.config import TrainConfig
from studio.engine.training.device import choose_device
from studio.engine.training.losses import bind_losses
from studio.engine.training.resume import resolve_checkpoint
from studio.engine.training.session import input_shape_of


@dataclass(frozen=True)
class Predictions:
    """``paths[i]`` has class ``labels[i]``; the model said ``predicted[i]`` with softmax
    probability ``confidence[i]``. ``source`` names the images (validation split or a folder)."""

    checkpoint: str
    step: int
    source: str
    class_names: tuple[str, ...]
    paths: tuple[str, ...]
    labels: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def accuracy(self) -> float:
        return float((self.labels == self.predicted).mean()) if len(self) else float("nan")

    def confusion(self) -> np.ndarray:
        """Counts ``[true, predicted]``."""
        n = len(self.class_names)
        return np.bincount(self.labels * n + self.predicted, minlength=n * n).reshape(n, n)

    def per_class(self) -> dict[str, np.ndarray]:
        """``precision``, ``recall``, ``f1`` (NaN where undefined) and ``support`` per class."""
        matrix = self.confusion().astype(np.float64)
        hits = np.diag(matrix)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = hits / matrix.sum(0)
            recall = hits / matrix.sum(1)
            f1 = 2 * precision * recall / (precision + recall)
        return {"precision": precision, "recall": recall, "f1": f1, "support": matrix.sum(1).astype(np.int64)}

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """Indices of the images of class ``true`` predicted as ``predicted``, most confident first."""
        rows = np.flatnonzero((self.labels == true) & (self.predicted == predicted))
        return rows[np.argsort(-self.confidence[rows], kind="stable")]

    def misclassified(self) -> np.ndarray:
        """Indices of the wrong predictions, most confident (most wrong) first."""
        rows = np.flatnonzero(self.labels != self.predicted)
        return rows[np.argsort(-self.confidence[rows], kind="stable")]


Progress = Callable[[str, int, int], None]


def predict_run(target: str | os.PathLike | CheckpointInfo, data_root: str | os.PathLike | None = None, *,
                checkpoint: str | os.PathLike | CheckpointInfo | None = None, batch_size: int = 128,
                device: str = "auto", progress: Progress | None = None) -> Predictions:
    """Predictions of a run's checkpoint (``checkpoint``, else the run's best, else its latest; or a
    checkpoint given as ``target``) on the run's validation split, or on every image of ``data_root``
    with the run's classes, label rule and normalisation."""
    store, info, run_dir = _checkpoint(target, checkpoint)
    reader = RunReader(run_dir) if run_dir is not None else None
    spec = store.load_spec(info) or (reader.spec() if reader else None)
    if spec is None:
        raise StudioError(f"checkpoint {info.name} records no model spec and has no run directory")
    config = TrainConfig.from_dict(reader.config() or {}) if reader else TrainConfig()
    report = (reader.data_report() if reader else None) or {}
    classes = tuple(report["class_names"]) if report.get("class_names") else None
    norm = report.get("normalization")
    normalization = Normalization(tuple(norm["mean"]), tuple(norm["std"])) if norm else None
    shape = input_shape_of(spec)
    if data_root is None:
        if run_dir is None or not (run_dir / layout.SPLIT).exists():
            raise StudioError("this checkpoint has no run directory with a validation split: "
                              "choose a folder to evaluate on")
        data = prepare_image_data(config.data, shape, saved_split=load_split(run_dir / layout.SPLIT),
                                  class_names=classes, normalization=normalization, progress=progress)
        subset, root, source = data.val, data.report.val_root or data.report.root, "validation split"
        if subset is None:
            data.close()
            raise StudioError("the run has no validation images: choose a folder to evaluate on")
    else:
        data_config = replace(config.data, root=str(data_root), val_root=None, val_split=0.0)
        data = prepare_image_data(data_config, shape, class_names=classes, normalization=normalization,
                                  progress=progress)
        subset, root, source = data.train, data.report.root, str(data_root)
    try:
        setup = choose_device(device, channels_last="off", amp="off")
        model = compile_spec(spec, device=setup.device)
        try:
            model.load_state_dict(store.load_weights(info))
        except RuntimeError as exc:
            raise StudioError(f"checkpoint {info.name} does not fit its model: "
                              f"{str(exc).splitlines()[0]}") from None
        output = bind_losses(config.losses, model.output_names)[0].output
        loader = BatchLoader(subset, batch_size, setup.device, data.normalization, shuffle=False, pad=False)
        predicted, confidence = _infer(model, loader, output)
        return Predictions(str(info.path), info.step, source, data.class_names,
                           tuple(str(Path(root) / name) for name in subset.files), subset.labels.copy(),
                           predicted, confidence)
    finally:
        data.close()


def _checkpoint(target: Any, checkpoint: Any) -> tuple[CheckpointStore, CheckpointInfo, Path | None]:
    if checkpoint is not None:
        return resolve_checkpoint(checkpoint)
    path = Path(target) if not isinstance(target, CheckpointInfo) else None
    if path is not None and path.is_dir() and (path / layout.CHECKPOINTS).is_dir():
        store = CheckpointStore(path / layout.CHECKPOINTS, keep_last=None)
        best = store.best()
        if best is not None:
            return store, best, path
    return resolve_checkpoint(target)


@torch.inference_mode()
def _infer(model: torch.nn.Module, loader: BatchLoader, output: str) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class and its probability for every image of the loader's subset, in subset order."""
    model.eval()
    count = len(loader.subset)
    predicted, confidence = np.zeros(count, np.int64), np.zeros(count, np.float32)
    order = np.argsort(loader.subset.rows, kind="stable")  # storage order: the loader keeps it as is
    for lo in range(0, count, loader.batch_size):
        positions = order[lo:lo + loader.batch_size]
        x, _ = loader.assemble(positions)
        out = model(x)
        logits = out[output] if isinstance(out, dict) else out
        value, index = torch.softmax(logits.float(), dim=-1).max(dim=-1)
        predicted[positions] = index.cpu().numpy()
        confidence[positions] = value.cpu().numpy()
    return predicted, confidence
