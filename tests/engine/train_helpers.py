"""Shared bits of the training tests: a tiny config and an event recorder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.engine.training import TrainConfig


def tiny_config(root: Path, **changes: Any) -> TrainConfig:
    """Small batches on CPU; ``changes`` are TrainConfig.from_dict keys."""
    data = {"data": {"root": str(root), "val_split": 0.25}, "epochs": 3, "batch_size": 8, "log_every": 1,
            "device": "cpu", "threads": 1, "optimizer": {"lr": 0.01}}
    return TrainConfig.from_dict(data).merged(changes)


class Recorder:
    """A callback keeping every event, with helpers to pick them by type."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def losses(self) -> dict[int, float]:
        from studio.engine.training import StepEvent

        return {e.step: e.loss for e in self.of(StepEvent)}
