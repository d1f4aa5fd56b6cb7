"""Per-channel normalisation: computed from the training images, given, or none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.engine.data.errors import DataError

PRESETS = {"imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))}


@dataclass(frozen=True)
class Normalization:
    """``x = (pixel / 255 - mean) / std`` per channel."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": list(self.mean), "std": list(self.std)}


def resolve_normalization(value: Any, images: np.ndarray, rows: np.ndarray, seed: int = 0,
                          sample: int = 20_000) -> Normalization:
    """``"data"`` (mean/std of up to ``sample`` training images), ``"none"``, ``"imagenet"``, or a dict
    ``{"mean": [...], "std": [...]}``."""
    channels = images.shape[1]
    if isinstance(value, Normalization):
        result = value
    elif value == "data":
        if len(rows) > sample:
            rows = np.sort(np.random.default_rng(seed).choice(rows, sample, replace=False))
        mean, std = _channel_stats(images, rows)
        result = Normalization(tuple(round(float(m), 6) for m in mean),
                               tuple(round(max(float(s), 1e-3), 6) for s in std))
    elif value == "none":
        result = Normalization((0.0,) * channels, (1.0,) * channels)
    elif isinstance(value, str) and value in PRESETS:
        result = Normalization(*PRESETS[value])
    elif isinstance(value, dict) and {"mean", "std"} <= set(value):
        result = Normalization(tuple(float(v) for v in value["mean"]), tuple(float(v) for v in value["std"]))
    else:
        raise DataError(f"normalize must be 'data', 'none', 'imagenet' or {{'mean': [...], 'std': [...]}}, "
                        f"not {value!r}")
    if len(result.mean) != channels or len(result.std) != channels:
        raise DataError(f"normalisation has {len(result.mean)} channel(s) but the images have {channels}")
    if any(s <= 0 for s in result.std):
        raise DataError("normalisation std values must be positive")
    return result


def _channel_stats(images: np.ndarray, rows: np.ndarray, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std (in [0, 1] units) of ``images[rows]``, a chunk at a time."""
    total = np.zeros(images.shape[1])
    squares = np.zeros(images.shape[1])
    for lo in range(0, len(rows), chunk):
        block = images[rows[lo:lo + chunk]].astype(np.float64)
        total += block.sum(axis=(0, 2, 3))
        squares += np.square(block).sum(axis=(0, 2, 3))
    count = max(len(rows), 1) * images.shape[2] * images.shape[3]
    mean = total / count
    return mean / 255.0, np.sqrt(np.maximum(squares / count - mean ** 2, 0.0)) / 255.0
