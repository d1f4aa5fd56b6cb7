"""Per-image predictions of a checkpoint: the images behind each confusion-matrix cell and the
misclassified ones with their confidence (what the GUI's results page shows).

    result = predict_run("runs/demo")                      # best checkpoint on the run's validation split
    result = predict_run("runs/demo", data_root="test/")   # ... or on another folder
    result.confusion(); result.cell(true=2, predicted=5); result.misclassified()
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from studio.engine.checkpoints import CheckpointInfo
from studio.engine.data import BatchLoader
from studio.engine.projector.source import open_source


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
    with the run's classes, label rule and normalisation (opened as the projector opens them)."""
    source = open_source(checkpoint if checkpoint is not None else target, data_root, device=device,
                         progress=progress)
    try:
        loader = BatchLoader(source.subset, batch_size, source.device, source.normalization, shuffle=False,
                             pad=False)
        predicted, confidence = _infer(source.model, loader, source.output)
        assert source.checkpoint is not None  # open_source always reads a checkpoint
        return Predictions(str(source.checkpoint.path), source.checkpoint.step, source.source,
                           source.class_names, source.paths, source.labels.copy(), predicted, confidence)
    finally:
        source.close()


@torch.inference_mode()
def _infer(model: torch.nn.Module, loader: BatchLoader, output: str | None) -> tuple[np.ndarray, np.ndarray]:
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
