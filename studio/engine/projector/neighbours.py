"""Exact nearest neighbours in the original feature space (cosine or euclidean), batched on a device.

The index keeps the points on the device once (normalised for cosine, with squared norms for
euclidean); a query batch is one matmul plus ``topk``. A few extra candidates are re-ranked by
distances computed directly, so near-ties are not decided by the rounding of the matmul form
``|a|^2 - 2ab + |b|^2``, and the reported distances are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from studio.engine.projector.errors import ProjectorError

METRICS = ("cosine", "euclidean")
MAX_SCORES = 1 << 24  # elements of one query-chunk x points score matrix (64 MiB of float32)
RERANK = 8  # extra candidates whose exact distances are compared, against near-ties in the matmul


@dataclass(frozen=True, eq=False)
class Neighbours:
    """For each query row: neighbour point indices ``[Q, k]`` (nearest first) and their distances
    (cosine distance 1 - cos, or euclidean distance)."""

    indices: np.ndarray
    distances: np.ndarray


class NeighbourIndex:
    """Exact k-nearest-neighbour search over ``features`` ``[N, D]``."""

    def __init__(self, features: np.ndarray, metric: str = "cosine",
                 device: str | torch.device | None = None) -> None:
        if metric not in METRICS:
            raise ProjectorError(f"unknown distance '{metric}' (choose from {', '.join(METRICS)})")
        array = np.ascontiguousarray(features, dtype=np.float32)
        if array.ndim != 2 or len(array) == 0:
            raise ProjectorError(f"need a non-empty 2-D feature array, got shape {array.shape}")
        self.metric = metric
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.points = torch.from_numpy(array).to(self.device)
        if metric == "cosine":
            self.points = torch.nn.functional.normalize(self.points, dim=1)
        self.sq_norms = (self.points * self.points).sum(1)

    def __len__(self) -> int:
        return len(self.points)

    def query(self, queries: np.ndarray | torch.Tensor, k: int = 10,
              exclude: np.ndarray | None = None) -> Neighbours:
        """The ``k`` nearest points to each query vector ``[Q, D]``; ``exclude[i]`` (a point index,
        or -1) is left out of row i's answer (the query point itself)."""
        if isinstance(queries, torch.Tensor):
            q = queries.to(self.device, torch.float32)
        else:
            q = torch.from_numpy(np.asarray(queries, dtype=np.float32)).to(self.device)
        if q.ndim == 1:
            q = q[None]
        if q.shape[1] != self.points.shape[1]:
            raise ProjectorError(f"queries have {q.shape[1]} values; the points have {self.points.shape[1]}")
        extra = 0 if exclude is None else 1
        k = int(k)
        if not 1 <= k <= len(self) - extra:
            raise ProjectorError(f"k must be between 1 and {len(self) - extra}, got {k}")
        if self.metric == "cosine":
            q = torch.nn.functional.normalize(q, dim=1)
        skip = None if exclude is None else torch.as_tensor(np.asarray(exclude), device=self.device)
        candidates = min(k + RERANK, len(self) - extra)
        rows = max(1, MAX_SCORES // max(len(self), candidates * q.shape[1]))
        found, dists = [], []
        with torch.inference_mode():
            for start in range(0, len(q), rows):
                index, dist = self._chunk(q[start:start + rows], candidates,
                                          None if skip is None else skip[start:start + rows])
                index, dist = index[:, :k], dist[:, :k]
                found.append(index)
                dists.append(dist)
        return Neighbours(torch.cat(found).cpu().numpy(), torch.cat(dists).cpu().numpy())

    def query_points(self, points: np.ndarray | list[int], k: int = 10) -> Neighbours:
        """The ``k`` nearest other points to each of the given point indices."""
        idx = np.asarray(points, dtype=np.int64).reshape(-1)
        if len(idx) and (idx.min() < 0 or idx.max() >= len(self)):
            raise ProjectorError(f"point indices must be between 0 and {len(self) - 1}")
        vectors = self.points[torch.as_tensor(idx, device=self.device)]
        return self.query(vectors, k, exclude=idx)

    def _chunk(self, q: torch.Tensor, k: int, skip: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``k`` nearest of each row of ``q`` (``skip[i]`` left out), nearest first."""
        if self.metric == "euclidean":  # larger is closer: 2 q.p - |p|^2, in one fused op
            scores = torch.addmm(self.sq_norms, q, self.points.T, beta=-1, alpha=2)
        else:
            scores = q @ self.points.T
        extra = 0 if skip is None else 1
        index = scores.topk(min(k + extra, len(self)), dim=1).indices
        if self.metric == "cosine":
            dist = 1 - (q[:, None, :] * self.points[index]).sum(-1)
        else:
            dist = (q[:, None, :] - self.points[index]).norm(dim=-1)
        if skip is not None:  # the query point itself sorts last, then falls off
            dist = dist.masked_fill(index == skip[:, None], torch.inf)
        order = dist.argsort(dim=1, stable=True)[:, :k]
        return index.gather(1, order), dist.gather(1, order)


@dataclass(frozen=True)
class LabelAgreement:
    """Share of each point's ``k`` nearest neighbours that carry its label, against ``chance`` (the
    same share for random neighbours: sum of squared class frequencies)."""

    k: int
    agreement: float
    chance: float
    points: int


def label_agreement(index: NeighbourIndex, labels: np.ndarray, k: int = 10,
                    sample: int | None = None, seed: int = 0) -> LabelAgreement:
    """k-NN label agreement over all labelled points (or a seeded sample of ``sample`` of them)."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(labels) != len(index):
        raise ProjectorError(f"{len(labels)} labels for {len(index)} points")
    known = np.flatnonzero(labels >= 0)
    if len(known) < 2:
        raise ProjectorError("label agreement needs at least two labelled points")
    if sample is not None and sample < len(known):
        known = np.sort(np.random.default_rng(seed).choice(known, sample, replace=False))
    found = index.query_points(known, k).indices
    agreement = float((labels[found] == labels[known][:, None]).mean())
    counts = np.bincount(labels[labels >= 0]).astype(np.float64)
    chance = float(((counts / counts.sum()) ** 2).sum())
    return LabelAgreement(k, agreement, chance, len(known))
