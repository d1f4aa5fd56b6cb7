"""Summary statistics and a histogram of one tensor's values, for the checkpoint browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class TensorStats:
    """Statistics over the finite values (min..std, histogram); counts over all values.

    ``histogram`` has ``bins`` counts over ``edges`` (bins + 1 values). Every statistic is None for
    empty tensors or tensors without finite values.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    zero_fraction: float
    nan_count: int
    inf_count: int
    histogram: tuple[int, ...]
    edges: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype, "nbytes": self.nbytes,
                "min": self.min, "max": self.max, "mean": self.mean, "std": self.std,
                "zero_fraction": self.zero_fraction, "nan_count": self.nan_count,
                "inf_count": self.inf_count, "histogram": list(self.histogram), "edges": list(self.edges)}


def tensor_stats(name: str, tensor: torch.Tensor, bins: int = 32) -> TensorStats:
    """Statistics of ``tensor`` (any real dtype; computed in float64 for integer and bool tensors)."""
    values = tensor.detach().reshape(-1)
    if values.is_complex():
        values = values.abs()
    values = values.double() if not values.is_floating_point() or values.element_size() < 4 else values
    count = values.numel()
    finite_mask = torch.isfinite(values)
    nan_count = int(torch.isnan(values).sum())
    inf_count = count - int(finite_mask.sum()) - nan_count
    zero_fraction = float((values == 0).sum()) / count if count else 0.0
    finite = values if nan_count + inf_count == 0 else values[finite_mask]
    base: dict[str, Any] = dict(name=name, shape=tuple(tensor.shape),
                                dtype=str(tensor.dtype).removeprefix("torch."),
                                nbytes=tensor.element_size() * tensor.numel(), zero_fraction=zero_fraction,
                                nan_count=nan_count, inf_count=inf_count)
    if finite.numel() == 0:
        return TensorStats(min=None, max=None, mean=None, std=None, histogram=(), edges=(), **base)
    low, high = float(finite.min()), float(finite.max())
    std, mean = torch.std_mean(finite, correction=0)
    lo_edge, hi_edge = (low - 0.5, high + 0.5) if low == high else (low, high)
    counts = torch.histc(finite.float(), bins=bins, min=lo_edge, max=hi_edge)
    edges = torch.linspace(lo_edge, hi_edge, bins + 1, dtype=torch.float64)
    return TensorStats(min=low, max=high, mean=float(mean), std=float(std),
                       histogram=tuple(int(c) for c in counts.tolist()),
                       edges=tuple(edges.tolist()), **base)
