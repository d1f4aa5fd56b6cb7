"""Task losses per named output (multi-task, weighted) plus the model's regularization losses.

``total = sum(weight_i * loss_i) + model.regularization_loss()``; each part is reported on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from studio.engine.errors import StudioError
from studio.engine.graph_module import GraphModule
from studio.engine.training.config import LossConfig
from studio.engine.training.fields import ConfigError

CLASSIFICATION = ("cross_entropy", "sigmoid_cross_entropy")


class LossError(StudioError):
    """A loss or a metric could not be computed on a head's output (the message names the head)."""


def is_out_of_memory(exc: BaseException) -> bool:
    text = str(exc)
    return (isinstance(exc, torch.OutOfMemoryError) or "out of memory" in text
            or "can't allocate memory" in text)


def head_failure(what: str, head: Head, exc: Exception, output: torch.Tensor | None = None,
                 labels: torch.Tensor | None = None) -> LossError:
    """One sentence for ``exc``, raised computing ``what`` of ``head`` (never a bug's "internal error":
    such failures come from what the output gives, e.g. a width that is not the class count)."""
    detail = (str(exc).strip().splitlines() or [""])[0]
    gives = ""
    if output is not None and labels is not None:
        top = int(labels.max()) + 1 if labels.numel() else 0
        gives = f" it gives values of shape {list(output.shape[1:])} for labels of {top} classes;"
    return LossError(f"the {what} of output '{head.output}' cannot be computed:{gives} "
                     f"{type(exc).__name__}: {detail}. Make the output give one value per class")


@dataclass(frozen=True)
class Head:
    """One loss bound to a model output: ``name`` labels its logged value."""

    output: str
    name: str
    config: LossConfig

    @property
    def is_classification(self) -> bool:
        return self.config.kind in CLASSIFICATION


def bind_losses(configs: tuple[LossConfig, ...], output_names: list[str]) -> list[Head]:
    """Attach each loss to an output (default: cross-entropy on every output)."""
    if not configs:
        configs = tuple(LossConfig(output=name) for name in output_names)
    heads = []
    for config in configs:
        output = config.output
        if output is None:
            if len(output_names) != 1:
                raise ConfigError(f"the model has {len(output_names)} outputs ({', '.join(output_names)}): "
                                  "say which output each loss uses")
            output = output_names[0]
        if output not in output_names:
            raise ConfigError(f"a loss names output '{output}' but the model's outputs are "
                              f"{', '.join(output_names)}")
        heads.append(Head(output, config.kind, config))
    if len(heads) > 1:
        heads = [Head(h.output, f"{h.output}/{h.config.kind}", h.config) for h in heads]
    if len({h.name for h in heads}) != len(heads):
        raise ConfigError("two losses have the same output and kind")
    return heads


def task_loss(config: LossConfig, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """One loss of ``output`` (B, classes) against class ``labels`` (B,)."""
    output = output.float()
    if config.kind == "cross_entropy":
        return F.cross_entropy(output, labels, label_smoothing=config.label_smoothing)
    target = F.one_hot(labels, output.shape[-1]).to(output.dtype)
    if config.label_smoothing:
        target = target * (1 - config.label_smoothing) + config.label_smoothing / output.shape[-1]
    if config.kind == "sigmoid_cross_entropy":
        return F.binary_cross_entropy_with_logits(output, target)
    if config.kind == "l1":
        return F.l1_loss(output, target)
    return F.mse_loss(output, target)  # mse and TF-Slim's sum_of_squares (a mean of squares)


class LossSet:
    """Computes the weighted total and the named parts for a batch."""

    def __init__(self, heads: list[Head], regularized: bool) -> None:
        self.heads = heads
        self.regularized = regularized

    def __call__(self, outputs: torch.Tensor | dict[str, torch.Tensor], labels: torch.Tensor,
                 model: GraphModule | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if not isinstance(outputs, dict):
            outputs = {self.heads[0].output: outputs}
        parts: dict[str, torch.Tensor] = {}
        total = None
        for head in self.heads:
            try:
                value = task_loss(head.config, outputs[head.output], labels)
            except (RuntimeError, ValueError, IndexError, TypeError) as exc:
                if is_out_of_memory(exc):
                    raise
                raise head_failure(f"{head.config.kind} loss", head, exc, outputs[head.output],
                                   labels) from exc
            parts[head.name] = value
            weighted = value * head.config.weight
            total = weighted if total is None else total + weighted
        assert total is not None  # bind_losses gives every model (it has an output) a head
        if self.regularized and model is not None:
            parts["regularization"] = model.regularization_loss()
            total = total + parts["regularization"]
        return total, parts
