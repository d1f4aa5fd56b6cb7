"""Carrying the weights under the spec's names and comparing the compiled spec with the original."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from studio.engine.importing.aten import is_aten_graph
from studio.engine.importing.errors import ModelImportError


def carry_weights(model: nn.Module, compiled: nn.Module, names: dict[str, str]) -> dict[str, torch.Tensor]:
    """The original's tensors under the compiled spec's names, loaded into ``compiled``."""
    original = model.state_dict()
    weights = {spec_name: original[name].detach().clone() for name, spec_name in names.items()}
    expected = compiled.state_dict()
    missing = [name for name in expected if name not in weights]
    wrong = [f"{name} {list(weights[name].shape)} vs {list(value.shape)}"
             for name, value in expected.items() if name in weights and weights[name].shape != value.shape]
    if missing or wrong or len(weights) != len(expected):
        listed = "; ".join([*missing[:3], *wrong[:3]])
        raise ModelImportError(f"the weights do not fit the imported spec ({listed or 'extra tensors'})")
    compiled.load_state_dict(weights, strict=True)
    return weights


def max_difference(model: nn.Module, compiled: nn.Module, batch: torch.Tensor) -> float:
    """max |original(batch) - compiled(batch)| over every output, both in eval mode."""
    if not is_aten_graph(model):
        model.eval()
    compiled.eval()
    with torch.no_grad():
        expected = _tensors(model(batch))
        got = _tensors(compiled(batch))
    if len(expected) != len(got) or any(a.shape != b.shape for a, b in zip(expected, got, strict=False)):
        raise ModelImportError(f"the imported model gives outputs of shapes {[list(t.shape) for t in got]}, "
                               f"the original {[list(t.shape) for t in expected]}")
    diffs = [float((a.float() - b.float()).abs().max()) if a.numel() else 0.0
             for a, b in zip(expected, got, strict=True)]
    worst = max(diffs, default=0.0)
    return math.inf if math.isnan(worst) else worst


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _tensors(v)]
    return []
