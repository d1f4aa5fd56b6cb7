"""Batches straight from the uint8 cache: one numpy gather, one copy to the device, then
conversion, augmentation and normalisation on the device in batch form.

The order of an epoch is a pure function of ``(seed, epoch)`` and each process of a distributed run
takes every ``world``-th index of it (PyTorch's DistributedSampler scheme), so a resumed or sharded
run sees exactly the images an uninterrupted single run would.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from studio.engine.data.augment import Augmenter
from studio.engine.data.dataset import Subset
from studio.engine.data.normalize import Normalization


def epoch_order(count: int, epoch: int, seed: int, shuffle: bool = True, rank: int = 0,
                world: int = 1, pad: bool = True) -> np.ndarray:
    """Positions ``0..count-1`` in this epoch's order, the share of process ``rank`` of ``world``.

    With several processes and ``pad`` the order is padded (repeating its start) to a multiple of
    ``world`` so every process takes the same number of steps (evaluation does not pad).
    """
    order = np.random.default_rng([seed, epoch]).permutation(count) if shuffle else np.arange(count)
    if world > 1:
        total = -(-count // world) * world
        if pad and total > count:
            order = np.concatenate([order, order[: total - count]])
        order = order[rank::world]
    return order


def batch_bounds(count: int, batch_size: int) -> list[tuple[int, int]]:
    """Batch slices of ``count`` items; a last batch of one item joins the one before (batch norm)."""
    bounds = [(lo, min(lo + batch_size, count)) for lo in range(0, count, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], count)]
    return bounds


class BatchLoader:
    """Yields ``(images, labels)`` on ``device``: images float, normalised (and augmented if given)."""

    def __init__(self, subset: Subset, batch_size: int, device: torch.device, normalization: Normalization,
                 *, shuffle: bool = True, seed: int = 0, rank: int = 0, world: int = 1,
                 pad: bool = True, augmenter: Augmenter | None = None, channels_last: bool = False) -> None:
        self.subset = subset
        self.batch_size = int(batch_size)
        self.device = device
        self.shuffle = shuffle
        self.seed = seed
        self.rank, self.world, self.pad = rank, world, pad
        self.augmenter = augmenter
        self.channels_last = channels_last
        self.images = subset.cache.images
        self.on_disk = isinstance(self.images, np.memmap)
        self.labels = torch.from_numpy(subset.labels).to(device)
        mean = torch.tensor(normalization.mean, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        std = torch.tensor(normalization.std, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        self.scale = 1.0 / (255.0 * std)  # pixel -> normalised in one multiply-add
        self.shift = -mean / std
        self.mean, self.std = mean, std
        per_rank = len(self.epoch_positions(0))
        self.bounds = batch_bounds(per_rank, self.batch_size)

    @property
    def steps_per_epoch(self) -> int:
        return len(self.bounds)

    def __len__(self) -> int:
        return self.steps_per_epoch

    def epoch_positions(self, epoch: int) -> np.ndarray:
        """Positions in the subset this process visits in ``epoch``, in order."""
        return epoch_order(len(self.subset), epoch, self.seed, self.shuffle, self.rank, self.world, self.pad)

    def batches(self, epoch: int, start: int = 0,
                step: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of ``epoch`` from batch ``start``; ``step`` is the global step of that batch
        (it seeds the augmentation)."""
        positions = self.epoch_positions(epoch)
        for i, (lo, hi) in enumerate(self.bounds[start:]):
            chosen = positions[lo:hi]
            yield self.assemble(chosen, step + i)

    def assemble(self, positions: np.ndarray, step: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        rows = self.subset.rows[positions]
        if self.on_disk:  # sorted reads are sequential on disk; keep labels aligned
            order = np.argsort(rows, kind="stable")
            rows, positions = rows[order], positions[order]
        pixels = torch.from_numpy(self.images[rows]).to(self.device, non_blocking=True)
        labels = self.labels[torch.from_numpy(positions).to(self.device)]
        if self.augmenter is not None:
            x = self.augmenter(pixels.float().div_(255.0), step).sub_(self.mean).div_(self.std)
        else:
            x = pixels.float().mul_(self.scale).add_(self.shift)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, labels
