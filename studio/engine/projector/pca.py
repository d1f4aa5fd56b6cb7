"""PCA: exact (covariance + eigh, chunked: no centred copy of the data) or randomized for wide data.

100k x 512 float32 takes well under a second on two cores (see benchmarks/projector_engine.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from studio.engine.projector.errors import ProjectorError
from studio.engine.projector.projection import Projection, check_features

CHUNK = 16384  # rows per matmul: bounds temporary memory to CHUNK x D
RANDOMIZED_ABOVE = 1024  # feature dims above which "auto" uses the randomized solver


def pca(features: np.ndarray, dims: int = 2, *, components: Sequence[int] | None = None,
        solver: str = "auto", seed: int = 0) -> Projection:
    """Project onto principal components (``components``: which ones, default the first ``dims``).

    ``explained_variance`` holds the share of total variance of each returned component.
    """
    x = check_features(features, dims)
    picked = list(range(dims)) if components is None else [int(c) for c in components]
    if len(picked) != dims or min(picked) < 0:
        raise ProjectorError(f"choose {dims} component indices (0 = first), got {list(picked)}")
    n, d = x.shape
    wanted = max(picked) + 1
    if wanted > min(n, d):
        raise ProjectorError(f"component {wanted} does not exist: {n} points of {d} values give "
                             f"{min(n, d)} components")
    if solver == "auto":
        solver = "randomized" if d > RANDOMIZED_ABOVE else "exact"
    data = torch.from_numpy(x)
    mean = torch.from_numpy(x.mean(axis=0, dtype=np.float64))  # numpy: 10x faster than torch's float64 mean
    if solver == "exact":
        values, vectors, total = _exact(data, mean, wanted)
    elif solver == "randomized":
        values, vectors = _randomized(data, mean, wanted, seed)
        total = float(_column_variance(data, mean).sum())
    else:
        raise ProjectorError(f"unknown PCA solver '{solver}' (exact, randomized, auto)")
    basis = _fix_signs(vectors[:, picked])
    coords = _centred_matmul(data, mean, basis.to(torch.float32))
    ratio = (values[picked] / total).numpy() if total > 0 else np.zeros(dims)
    return Projection(coords.numpy(), "pca", seed if solver == "randomized" else None,
                      {"dims": dims, "components": picked, "solver": solver}, explained_variance=ratio)


def _fix_signs(basis: torch.Tensor) -> torch.Tensor:
    """Make each component's largest loading positive, so results do not flip between solvers."""
    largest = basis.gather(0, basis.abs().argmax(0, keepdim=True))
    return basis * torch.where(largest < 0, -1.0, 1.0).to(basis.dtype)


def _column_variance(data: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    total = torch.zeros_like(mean)
    for start in range(0, len(data), CHUNK):
        total += (data[start:start + CHUNK].double() - mean).pow(2).sum(0)
    return total / max(len(data) - 1, 1)


def _centred_matmul(data: torch.Tensor, mean: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """(data - mean) @ matrix as data @ matrix - mean @ matrix: no centred copy of the data."""
    return data @ matrix - (mean @ matrix.double()).to(torch.float32)


def _exact(data: torch.Tensor, mean: torch.Tensor, wanted: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    centre = mean.to(torch.float32)
    cov = torch.zeros(data.shape[1], data.shape[1], dtype=torch.float64)
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK] - centre
        cov += (chunk.T @ chunk).double()
    cov /= max(len(data) - 1, 1)
    values, vectors = np.linalg.eigh(cov.numpy())  # LAPACK via numpy: several times faster than torch's
    order = np.argsort(values)[::-1][:wanted].copy()
    return (torch.from_numpy(values[order]).clamp_min(0), torch.from_numpy(vectors[:, order]),
            float(torch.trace(cov)))


def _randomized(data: torch.Tensor, mean: torch.Tensor, wanted: int, seed: int,
                oversample: int = 10, power_iterations: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Halko et al.'s range finder on the implicitly centred data."""
    n, d = data.shape
    k = min(wanted + oversample, n, d)
    generator = torch.Generator().manual_seed(seed)
    omega = torch.randn(d, k, generator=generator)
    centre = mean.to(torch.float32)

    def times(m: torch.Tensor) -> torch.Tensor:  # (X - mean) @ m
        return data @ m - centre @ m

    def times_t(m: torch.Tensor) -> torch.Tensor:  # (X - mean).T @ m
        return data.T @ m - torch.outer(centre, m.sum(0))

    q = torch.linalg.qr(times(omega)).Q
    for _ in range(power_iterations):
        q = torch.linalg.qr(times_t(q)).Q
        q = torch.linalg.qr(times(q)).Q
    b = times_t(q).T.double()  # k x d
    _, s, vt = torch.linalg.svd(b, full_matrices=False)
    values = s[:wanted] ** 2 / max(n - 1, 1)
    return values, vt[:wanted].T
