"""TensorBoard event files for a run, when the optional ``tensorboard`` package is installed
(``pip install studio[tensorboard]``); events go beside the run's other files so
``tensorboard --logdir runs`` lists runs by name."""

from __future__ import annotations

import os
from typing import Any

import torch

INSTALL_HINT = "TensorBoard files are not written: pip install studio[tensorboard] to get them"


class TensorBoardLogger:
    """Scalars and image grids for one run directory."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    @classmethod
    def create(cls, directory: str | os.PathLike) -> TensorBoardLogger | None:
        """A logger, or None when tensorboard is not installed."""
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            return None
        return cls(SummaryWriter(log_dir=str(directory), flush_secs=10))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        for tag, value in values.items():
            self._writer.add_scalar(tag, value, step)

    def images(self, tag: str, step: int, images: torch.Tensor) -> None:
        """``images`` (N, C, H, W) floats in [0, 1]."""
        self._writer.add_images(tag, images.clamp(0, 1).cpu(), step)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
