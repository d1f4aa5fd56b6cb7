"""Looking inside checkpoints: a run's list, one file's tensors and their statistics (lazily).

    with CheckpointInspector("run/checkpoints/ckpt-000001200.safetensors") as ckpt:
        for entry in ckpt.entries: ...          # names, shapes, dtypes: header only
        ckpt.stats("conv1.weight")              # reads that one tensor, cached
"""

from __future__ import annotations

import os
from collections.abc import Callable

from studio.engine.checkpoints.info import CheckpointInfo
from studio.engine.checkpoints.reader import TensorEntry, open_checkpoint
from studio.engine.checkpoints.stats import TensorStats, tensor_stats
from studio.engine.runs.locate import checkpoint_record, list_checkpoints

Progress = Callable[[float, str], None]  # (fraction done 0..1, what is happening)


list_run = list_checkpoints  # the complete checkpoints of a run folder (or its checkpoints folder)


class CheckpointInspector:
    """One checkpoint file's tensors, with per-tensor statistics computed on demand and cached."""

    def __init__(self, path: str | os.PathLike, bins: int = 32) -> None:
        self.reader = open_checkpoint(path)
        self.bins = bins
        self._stats: dict[str, TensorStats] = {}
        self.info = self._studio_info()

    @property
    def path(self):
        return self.reader.path

    @property
    def format(self) -> str:
        return self.reader.format

    @property
    def metadata(self) -> dict[str, str]:
        return self.reader.metadata

    @property
    def entries(self) -> list[TensorEntry]:
        return self.reader.entries()

    @property
    def total_bytes(self) -> int:
        return sum(entry.nbytes for entry in self.reader.entries())

    def stats(self, name: str) -> TensorStats:
        """Statistics of tensor ``name`` (reads only that tensor, once)."""
        if name not in self._stats:
            self._stats[name] = tensor_stats(name, self.reader.tensor(name), self.bins)
        return self._stats[name]

    def all_stats(self, progress: Progress | None = None,
                  should_stop: Callable[[], bool] | None = None) -> list[TensorStats]:
        """Statistics of every tensor, reporting progress; stops early when ``should_stop()``."""
        names = self.reader.names()
        out = []
        for index, name in enumerate(names):
            if should_stop is not None and should_stop():
                break
            out.append(self.stats(name))
            if progress is not None:
                progress((index + 1) / len(names), name)
        return out

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> CheckpointInspector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _studio_info(self) -> CheckpointInfo | None:
        """The store's record of this file, when it is a Studio checkpoint in a store folder."""
        if self.reader.format != "safetensors":
            return None
        return checkpoint_record(self.reader.path)
