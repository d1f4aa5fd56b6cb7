"""Scoring a model on a batch loader: losses and streaming metrics per head."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from studio.engine.data import BatchLoader
from studio.engine.training.distributed import DistContext, sum_values
from studio.engine.training.losses import Head, LossSet, head_failure, is_out_of_memory


class Evaluator:
    """Metrics named ``{prefix}{head/}name``: ``val/accuracy``, ``val/loss``, ``val/aux/mae`` ..."""

    def __init__(self, heads: list[Head], num_classes: int, device: torch.device, prefix: str = "val/",
                 ctx: DistContext | None = None,
                 autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext) -> None:
        self.heads = heads
        self.num_classes = num_classes
        self.device = device
        self.prefix = prefix
        self.ctx = ctx or DistContext()
        self.autocast = autocast
        self.losses = LossSet(heads, regularized=False)
        # torchmetrics takes seconds to import: only when an evaluator is built (Trainer.prepare)
        from studio.engine.training.metrics import ClassificationMetrics, RegressionMetrics

        self.metrics = {h.name: ClassificationMetrics(num_classes, device) if h.is_classification
                        else RegressionMetrics(device) for h in heads}

    def _name(self, head: Head, metric: str) -> str:
        scope = f"{head.output}/" if len(self.heads) > 1 else ""
        return f"{self.prefix}{scope}{metric}"

    def _update(self, head: Head, out: torch.Tensor, labels: torch.Tensor) -> None:
        """Feed one batch to ``head``'s metrics; a metric refusing it is a LossError naming the head."""
        try:
            if head.is_classification:
                self.metrics[head.name].update(out, labels)
            else:
                self.metrics[head.name].update(out, F.one_hot(labels, out.shape[-1]).float())
        except (RuntimeError, ValueError, IndexError, TypeError) as exc:
            if is_out_of_memory(exc):
                raise
            raise head_failure("validation metrics", head, exc, out, labels) from exc

    @torch.inference_mode()
    def evaluate(self, model: torch.nn.Module,
                 loader: BatchLoader) -> tuple[dict[str, float], dict[str, Any]]:
        """``(scalars, details)`` of ``model`` over one pass of ``loader`` (built without shuffling,
        augmentation or padding)."""
        was_training = model.training
        model.eval()
        for metric in self.metrics.values():
            metric.reset()
        names = [h.name for h in self.heads]
        sums = torch.zeros(len(names) + 1, dtype=torch.float64, device=self.device)
        count = 0
        try:
            for x, labels in loader.batches(0):
                with self.autocast():
                    outputs = model(x)
                if not isinstance(outputs, dict):
                    outputs = {self.heads[0].output: outputs}
                total, parts = self.losses(outputs, labels)
                n = len(labels)
                sums += torch.stack([total.double(), *[parts[name].double() for name in names]]) * n
                count += n
                for head in self.heads:
                    self._update(head, outputs[head.output].float(), labels)
        finally:
            model.train(was_training)
        totals = sum_values([*sums.tolist(), float(count)], self.device, self.ctx)
        seen = max(totals[-1], 1.0)
        scalars = {f"{self.prefix}loss": totals[0] / seen}
        if len(names) > 1:
            scalars.update({f"{self.prefix}{name}": value / seen for name, value in zip(names, totals[1:-1],
                                                                                        strict=True)})
        details: dict[str, Any] = {}
        for head in self.heads:
            try:
                values, extra = self.metrics[head.name].compute()
            except (RuntimeError, ValueError, IndexError, TypeError) as exc:
                if is_out_of_memory(exc):
                    raise
                raise head_failure("validation metrics", head, exc) from exc
            scalars.update({self._name(head, k): v for k, v in values.items()})
            details.update({self._name(head, k): v for k, v in extra.items()})
        return scalars, details
