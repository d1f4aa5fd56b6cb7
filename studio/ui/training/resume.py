"""Resuming a run from the runs list: its own spec and configuration, extended when it already used
its whole budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from studio.engine.errors import StudioError
from studio.engine.runs import RunReader
from studio.engine.spec.model import ModelSpec
from studio.engine.training import TrainConfig


def resume_setup(path: Path, ask_more_epochs: Callable[[str], float | None]
                 ) -> tuple[TrainConfig | None, ModelSpec]:
    """``(config, spec)`` to resume run ``path``; config is None when the user declined to extend a
    finished run. StudioError when the folder is not a resumable Studio run."""
    reader = RunReader(path)
    spec, data = reader.spec(), reader.config()
    if spec is None or data is None:
        raise StudioError(f"{path} has no spec.json or config.json: only Studio runs can be resumed")
    checkpoints = reader.checkpoints()
    if not checkpoints:
        raise StudioError(f"{path} has no checkpoint yet: start a new run instead")
    config = TrainConfig.from_dict(data)
    status = reader.status()
    if status is None or not status.total_steps or status.step < status.total_steps:
        return config, spec
    more = ask_more_epochs(path.name)
    if more is None:
        return None, spec
    if config.steps:
        last = checkpoints[-1]  # its epoch is exact (status.json's is a heartbeat's, maybe older)
        per_epoch = last.step / last.epoch if last.epoch else status.total_steps
        return config.replace(steps=status.step + max(1, round(more * per_epoch))), spec
    return config.replace(epochs=config.epochs + more), spec
