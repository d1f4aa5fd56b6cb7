"""Comparing two checkpoints, or a checkpoint and a live model, tensor by tensor."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from studio.engine.checkpoints.reader import CheckpointSource, reading

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class TensorDiff:
    """How tensor ``name`` differs from A to B.

    ``status``: "changed", "same", "shape" (shapes differ), "only_a" or "only_b".
    ``relative_change`` = ||B - A|| / ||A|| (inf when A is all zeros and B is not).
    """

    name: str
    status: str
    shape_a: tuple[int, ...] | None
    shape_b: tuple[int, ...] | None
    relative_change: float | None = None
    max_abs_diff: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status,
                "shape_a": list(self.shape_a) if self.shape_a is not None else None,
                "shape_b": list(self.shape_b) if self.shape_b is not None else None,
                "relative_change": _json_float(self.relative_change),
                "max_abs_diff": _json_float(self.max_abs_diff)}


def diff_checkpoints(a: CheckpointSource, b: CheckpointSource,
                     progress: Progress | None = None) -> list[TensorDiff]:
    """Per-tensor differences between A and B (paths, readers, state_dicts or models), A's order first."""
    with reading(a) as reader_a, reading(b) as reader_b:
        names_a, names_b = reader_a.names(), reader_b.names()
        in_a = set(names_a)
        names = names_a + [name for name in names_b if name not in in_a]
        out = []
        for index, name in enumerate(names):
            out.append(_diff_one(name, reader_a, reader_b))
            if progress is not None:
                progress((index + 1) / len(names), name)
        return out


def diff_with_model(checkpoint: CheckpointSource, model: nn.Module,
                    progress: Progress | None = None) -> list[TensorDiff]:
    """How the live ``model`` (B) moved away from ``checkpoint`` (A)."""
    return diff_checkpoints(checkpoint, model, progress)


def _diff_one(name: str, reader_a, reader_b) -> TensorDiff:
    if name not in reader_b:
        return TensorDiff(name, "only_a", reader_a.shape(name), None)
    if name not in reader_a:
        return TensorDiff(name, "only_b", None, reader_b.shape(name))
    shape_a, shape_b = reader_a.shape(name), reader_b.shape(name)
    if shape_a != shape_b:
        return TensorDiff(name, "shape", shape_a, shape_b)
    ta = reader_a.tensor(name).detach().to("cpu", torch.float64)
    tb = reader_b.tensor(name).detach().to("cpu", torch.float64)
    delta = tb - ta
    if delta.numel() == 0:
        return TensorDiff(name, "same", shape_a, shape_b, 0.0, 0.0)
    change = float(torch.linalg.vector_norm(delta))
    base = float(torch.linalg.vector_norm(ta))
    equal = torch.equal(ta, tb)
    relative = change / base if base > 0 else (0.0 if change == 0 else math.inf)
    return TensorDiff(name, "same" if equal else "changed", shape_a, shape_b, relative,
                      float(delta.abs().max()))


def _json_float(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return str(value)
