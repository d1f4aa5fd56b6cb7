"""Streaming metrics over batches, on torchmetrics: classification (accuracy, top-k, precision,
recall, F1 per class and macro, confusion matrix) and regression (mean absolute / squared / relative
error, fraction of relative errors below a threshold). Synchronised across processes when
``torch.distributed`` is initialised."""

from __future__ import annotations

from typing import Any

import torch
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError


class RelativeError(Metric):
    """Mean of ``|prediction - target| / |target|`` over elements with a non-zero target, and the
    fraction of those below ``threshold`` (TF-Slim's mean_relative_error / percentage_below)."""

    full_state_update = False
    total: torch.Tensor  # states made by add_state
    below: torch.Tensor
    count: torch.Tensor

    def __init__(self, threshold: float = 0.1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threshold = threshold
        for name in ("total", "below", "count"):
            self.add_state(name, torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        mask = target != 0
        relative = (preds[mask].double() - target[mask].double()).abs() / target[mask].double().abs()
        self.total += relative.sum()
        self.below += (relative < self.threshold).sum()
        self.count += mask.sum()

    def compute(self) -> torch.Tensor:
        return torch.stack([self.total / self.count.clamp(min=1), self.below / self.count.clamp(min=1)])


class ClassificationMetrics:
    """Accumulates logits ``(B, C)`` and labels ``(B,)``; ``compute()`` gives scalars and details."""

    def __init__(self, num_classes: int, device: torch.device | str = "cpu", top_k: int = 5) -> None:
        n = num_classes
        metrics: dict[str, Metric | MetricCollection] = {
            "accuracy": MulticlassAccuracy(n, average="micro"),
            "precision": MulticlassPrecision(n, average="macro"),
            "recall": MulticlassRecall(n, average="macro"),
            "f1": MulticlassF1Score(n, average="macro"),
            "precision_per_class": MulticlassPrecision(n, average=None),
            "recall_per_class": MulticlassRecall(n, average=None),
            "f1_per_class": MulticlassF1Score(n, average=None),
            "confusion": MulticlassConfusionMatrix(n),
        }
        if n > top_k:
            metrics[f"top{top_k}_accuracy"] = MulticlassAccuracy(n, top_k=top_k, average="micro")
        self.collection = MetricCollection(metrics, compute_groups=True).to(device)

    def update(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        self.collection.update(logits.detach().float(), labels)

    def compute(self) -> tuple[dict[str, float], dict[str, Any]]:
        """``(scalars, details)``: details hold per-class lists and the confusion matrix (rows: truth)."""
        values = self.collection.compute()
        scalars = {k: float(v) for k, v in values.items() if v.ndim == 0}
        details = {k: v.cpu().tolist() for k, v in values.items() if v.ndim > 0}
        return scalars, details

    def reset(self) -> None:
        self.collection.reset()


class RegressionMetrics:
    """Mean absolute, squared and relative error of outputs against targets of the same shape."""

    def __init__(self, device: torch.device | str = "cpu", threshold: float = 0.1) -> None:
        self.threshold = threshold
        self.mae = MeanAbsoluteError().to(device)
        self.mse = MeanSquaredError().to(device)
        self.relative = RelativeError(threshold).to(device)

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        preds, target = preds.detach().float().flatten(), target.float().flatten()
        self.mae.update(preds, target)
        self.mse.update(preds, target)
        self.relative.update(preds, target)

    def compute(self) -> tuple[dict[str, float], dict[str, Any]]:
        relative, below = self.relative.compute().tolist()
        return {"mae": float(self.mae.compute()), "mse": float(self.mse.compute()),
                "relative_error": relative, f"relative_error_below_{self.threshold:g}": below}, {}

    def reset(self) -> None:
        for metric in (self.mae, self.mse, self.relative):
            metric.reset()
