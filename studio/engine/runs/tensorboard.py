"""TensorBoard event files for a run, when the optional ``tensorboard`` package is installed
(``pip install studio[tensorboard]``); events go beside the run's other files so
``tensorboard --logdir runs`` lists runs by name."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import torch

INSTALL_HINT = "TensorBoard files are not written: pip install studio[tensorboard] to get them"


class TensorBoardLogger:
    """Scalars and image grids for one run directory."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    @classmethod
    def create(cls, directory: str | os.PathLike, purge_step: int | None = None) -> TensorBoardLogger | None:
        """A logger, or None when tensorboard is not installed. A resumed run passes the first step it
        redoes as ``purge_step``: TensorBoard then drops the events of the earlier process from that
        step on, so each step shows once."""
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            return None
        return cls(SummaryWriter(log_dir=str(directory), flush_secs=10, purge_step=purge_step))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        for tag, value in values.items():
            self._writer.add_scalar(tag, value, step)

    def images(self, tag: str, step: int, images: torch.Tensor) -> None:
        """``images`` (N, C, H, W) floats in [0, 1]."""
        self._writer.add_images(tag, images.clamp(0, 1).cpu(), step)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        """Flush and close (a failed flush, e.g. on a full disk, loses only TensorBoard's copy)."""
        with contextlib.suppress(OSError):
            self._writer.close()
